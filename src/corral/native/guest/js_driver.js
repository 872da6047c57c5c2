// corral's persistent JavaScript inside a native sandbox (Sandbox.js() on bwrap/gVisor).
//
// Started by the session's shell as a coprocess (see corral/native/session.py): requests
// "<id> <code file> <stdin file or ->" arrive on fd 3, answers "<id> <exit status>" go to
// fd 4; console output is the session's stdout/stderr. Globals and top-level declarations
// persist from one request to the next (one V8 context); top-level await works (such a
// request runs in an async function, so its own declarations stay local to it).
"use strict";
const fs = require("fs");
const vm = require("vm");

class ProcessExit extends Error {
  constructor(code) { super("process.exit"); this.code = code; }
}
globalThis.require = require;
process.exit = (c) => { throw new ProcessExit(c === undefined ? 0 : Number(c) | 0); };

let pending = "";
const chunk = Buffer.alloc(65536);
function readLine() {
  for (;;) {
    const i = pending.indexOf("\n");
    if (i >= 0) {
      const line = pending.slice(0, i);
      pending = pending.slice(i + 1);
      return line;
    }
    let n;
    try {
      n = fs.readSync(3, chunk, 0, chunk.length, null);
    } catch (e) {
      if (e.code === "EAGAIN" || e.code === "EINTR") continue;
      throw e;
    }
    if (n === 0) return null;
    pending += chunk.toString("utf8", 0, n);
  }
}

async function runOne(code) {
  if (/\bawait\b/.test(code)) {
    await vm.runInThisContext("(async () => {\n" + code + "\n})()", { filename: "sandbox.js" });
  } else {
    vm.runInThisContext(code, { filename: "sandbox.js" });
  }
}

(async function loop() {
  for (;;) {
    const line = readLine();
    if (line === null) break;
    const parts = line.trim().split(" ");
    if (parts.length !== 3) continue;
    const [rid, codePath, stdinPath] = parts;
    let status = 0;
    try {
      globalThis.__corral_stdin = stdinPath === "-" ? "" : fs.readFileSync(stdinPath, "utf8");
      await runOne(fs.readFileSync(codePath, "utf8"));
    } catch (e) {
      if (e instanceof ProcessExit) {
        status = e.code & 255;
      } else {
        status = 1;
        const name = (e && e.name) || "Error";
        const message = e && e.message !== undefined ? String(e.message) : String(e);
        const stack = String((e && e.stack) || "").split("\n").slice(1).join("\n");
        fs.writeSync(2, "Uncaught " + name + ": " + message + "\n" + (stack ? stack + "\n" : ""));
      }
    }
    fs.writeSync(4, rid + " " + status + "\n");
  }
})();
