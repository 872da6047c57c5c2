// corral's driver for the QuickJS-ng WASI guest, run as `qjs --std -e DRIVER`.
// Same protocol as the Python driver (see corral/channel.py): requests
// "<id> <json>" on fd 0, framed answers "\x00CRL<id><length>\n<json>" on fd 1
// echoing the request's id. Console output is captured, capped and framed;
// what user code writes to fd 1 itself is plain output, never a frame. The id
// lives only in this closure, and the driver keeps its own references to the
// functions it calls, so user code that patches JSON or std does not see it.
(function () {
  const _std = std, _os = os;
  const _in = _std.in;
  const _outf = _std.out;
  const apply = Reflect.apply;
  const getline = _in.getline, puts = _outf.puts, fflush = _outf.flush;
  const parse = JSON.parse, stringify = JSON.stringify;
  const strIndexOf = String.prototype.indexOf, strSlice = String.prototype.slice;
  const strReplace = String.prototype.replace, numToString = Number.prototype.toString;
  const charCode = String.prototype.charCodeAt;
  const nonAscii = /[\u007f-\uffff]/g;
  const escape = (c) => "\\u" + apply(strSlice, "0000" + apply(numToString, apply(charCode, c, [0]), [16]), [-4]);
  const cur = { id: "", max: 64 * 1024 * 1024, values: 1000000 };
  const frame = (o) => {
    const payload = apply(strReplace, stringify(o), [nonAscii, escape]);  // ASCII only
    return "\x00CRL" + cur.id + payload.length + "\n" + payload;
  };
  const put = (s) => { apply(puts, _outf, [s]); apply(fflush, _outf, []); };
  const send = (o) => put(frame(o));
  const recv = () => {
    const line = apply(getline, _in, []);
    if (line === null) { _std.exit(0); }
    const sp = apply(strIndexOf, line, [" "]);
    return [apply(strSlice, line, [0, sp]), parse(apply(strSlice, line, [sp + 1]))];
  };
  const state = { cap: 1 << 20, used: 0, dropped: 0 };
  const bufs = { stdout: [], stderr: [] };
  const sizes = { stdout: 0, stderr: 0 };
  const since = { stdout: 0, stderr: 0 };  // when the oldest buffered text was written
  const clock = Date.now;
  class OutputLimitExceeded extends Error {}
  class ProcessExit { constructor(c) { this.code = c; } }
  const flush = (stream) => {
    if (bufs[stream].length) {
      const data = bufs[stream].join("");
      for (let i = 0; i < data.length; i += 1 << 20) {
        send({ op: "out", stream, data: data.slice(i, i + (1 << 20)) });
      }
      bufs[stream] = [];
      sizes[stream] = 0;
    }
  };
  const write = (stream, s) => {
    const n = s.length;
    if (state.dropped) { state.dropped += n; return; }
    const room = state.cap - state.used;
    if (n > room) {
      if (room > 0) bufs[stream].push(s.slice(0, room));
      state.used = state.cap;
      state.dropped = n - Math.max(room, 0);
      flush(stream);
      throw new OutputLimitExceeded("output budget of " + state.cap + " characters exceeded");
    }
    state.used += n;
    const now = apply(clock, Date, []);
    if (!bufs[stream].length) since[stream] = now;
    bufs[stream].push(s);
    sizes[stream] += n;
    // text waits at most half a second: the host's resource samples count the output a
    // call makes as it runs (a printing loop is not a quiet one)
    if (sizes[stream] > 8192 || state.stream || now - since[stream] >= 500) flush(stream);
  };
  const fmt = (v) => {
    if (typeof v === "string") return v;
    if (v instanceof Error) return v.name + ": " + v.message;
    if (typeof v === "object" && v !== null && !Array.isArray(v)) {
      try { return JSON.stringify(v); } catch (e) { return String(v); }
    }
    return String(v);
  };
  const line = (args) => Array.prototype.map.call(args, fmt).join(" ") + "\n";
  globalThis.console = {
    log: function () { write("stdout", line(arguments)); },
    info: function () { write("stdout", line(arguments)); },
    debug: function () { write("stdout", line(arguments)); },
    warn: function () { write("stderr", line(arguments)); },
    error: function () { write("stderr", line(arguments)); },
  };
  globalThis.print = globalThis.console.log;

  class ToolError extends Error { constructor(m) { super(m); this.name = "ToolError"; } }
  class ToolDenied extends ToolError { constructor(m) { super(m); this.name = "ToolDenied"; } }
  let toolNames = [];
  const call = (name, args) => {
    let f;
    try {
      f = frame({ op: "tool", name, args: args === undefined ? {} : args });
    } catch (e) {
      return Promise.reject(new ToolError("tool " + name + ": arguments are not JSON: " + e));
    }
    if (f.length > cur.max) {
      return Promise.reject(new ToolError("tool " + name + ": arguments too large (" + f.length +
        " bytes encoded; the limit is " + cur.max + ")"));
    }
    if (f.length > cur.values) {  // the host's bound on a frame's JSON values
      let values = 1;
      for (let i = 0; i < f.length; i++) {
        const c = f.charCodeAt(i);
        if (c === 44 || c === 58 || c === 91 || c === 123) values++;  // , : [ {
      }
      if (values > cur.values) {
        return Promise.reject(new ToolError("tool " + name + ": arguments hold too many values (up to " +
          values + "; the limit is " + cur.values + ")"));
      }
    }
    flush("stdout"); flush("stderr");
    put(f);
    const reply = recv()[1];
    if (reply.ok) return Promise.resolve(reply.value);
    const E = reply.kind === "denied" ? ToolDenied : ToolError;
    return Promise.reject(new E(reply.error || "tool call failed"));
  };
  const resolve = (path) => {
    for (const sep of ["/", ".", "_"]) {
      const cand = path.join(sep);
      if (toolNames.includes(cand)) return cand;
    }
    return path.join("/");
  };
  const ns = (path) => new Proxy(function () {}, {
    get: (t, k) => (typeof k === "string" ? ns(path.concat([k])) : undefined),
    apply: (t, self, args) => call(resolve(path), args[0]),
  });
  globalThis.tools = ns([]);
  globalThis.corral = { call, ToolError, ToolDenied, tools: globalThis.tools };

  // -- intents: what user code tried that the WASI build cannot do (or opened) -------
  // Reported to the host as {op: "intent", ...} frames (claims, for the monitor's
  // events), only while a call runs, at most 1000 per call; then the attempt fails as it
  // would have (QuickJS here has no os.exec, std.popen, std.urlGet, fetch or require:
  // the stand-ins below report and throw). Never a wall: code can avoid them.
  const intents = { on: false, n: 0, busy: false };
  const Err = Error, TypeErr = TypeError, Str = String, isArray = Array.isArray;
  const reject = Promise.reject.bind(Promise), hasOwn = Object.prototype.hasOwnProperty;
  const osGetcwd = _os.getcwd, osSetTimeout = _os.setTimeout;
  const strStarts = String.prototype.startsWith, reExec = RegExp.prototype.exec;
  const urlRe = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\/(?:[^\/@?#\s]*@)?(\[[^\]\s]*\]|[^\/:?#\s]*)(?::(\d{1,5}))?/;
  const ports = { http: 80, https: 443, ws: 80, wss: 443, ftp: 21 };
  const intent = (make) => {
    if (!intents.on || intents.busy || intents.n >= 1000) return;
    intents.busy = true;
    try {
      const o = make();
      if (o) { intents.n++; o.op = "intent"; send(o); }
    } catch (e) { /* a claim never breaks the call */ } finally { intents.busy = false; }
  };
  const cut = (v, n) => apply(strSlice, Str(v), [0, n]);
  const absPath = (p) => {
    const path = Str(p);
    if (apply(strStarts, path, ["/"])) return path;
    let cwd = "/workspace";
    try {
      const r = apply(osGetcwd, _os, []);
      if (isArray(r) && typeof r[0] === "string") cwd = r[0];
    } catch (e) { /* */ }
    return cwd + "/" + path;
  };
  const fileIntent = (path, fileOp, failed) => intent(() => (
    { kind: "open", path: cut(absPath(path), 4096), file_op: fileOp, failed: !!failed }));
  const argvOf = (cmd, args) => {
    const out = [];
    if (args === undefined && !isArray(cmd)) return ["/bin/sh", "-c", cut(cmd, 4096)];
    const all = isArray(cmd) ? cmd : [cmd].concat(isArray(args) ? args : []);
    for (let i = 0; i < all.length && i < 256; i++) out[i] = cut(all[i], 4096);
    return out.length ? out : ["?"];
  };
  const spawnIntent = (via, cmd, args) => {
    intent(() => ({ kind: "spawn", argv: argvOf(cmd, args), via }));
    return new Err("wasi does not support processes.");
  };
  const connectIntent = (via, host, port, url) => {
    intent(() => {
      const o = { kind: "connect", host: cut(host, 255), via };
      const n = Number(port);
      if (port !== undefined && port !== null && n >= 0 && n <= 65535 && n === Math.floor(n)) o.port = n;
      if (url !== undefined) o.url = cut(url, 4096);
      return o;
    });
    return new Err("no network in the guest");
  };
  const urlIntent = (via, url) => {
    const text = Str(url);
    const m = apply(reExec, urlRe, [text]);
    if (!m || !m[2]) return new Err("no network in the guest");
    const scheme = m[1].toLowerCase(), host = apply(strReplace, m[2], [/^\[|\]$/g, ""]);
    return connectIntent(via, host, m[3] !== undefined ? m[3] : ports[scheme], text);
  };
  const optsIntent = (via, a, b) => {  // (port, host) | ({host, port}) | (url string)
    if (typeof a === "string" && apply(strStarts, a, ["http"])) return urlIntent(via, a);
    if (a && typeof a === "object") {
      if (a.href !== undefined) return urlIntent(via, a.href);
      return connectIntent(via, a.host || a.hostname || "localhost", a.port, undefined);
    }
    return connectIntent(via, typeof b === "string" ? b : "localhost", a, undefined);
  };
  // -- file rules: the workspace paths the policy names (corral.wasm.filescreen) ------
  // With each exec the host may send a table ("files"): per kind one pattern for the
  // paths it must decide, one for those it allows. Before an open, remove, rename or
  // mkdir of such a path (and of where a symlink leads) the driver asks the host
  // ({op: "filecheck"}); a refusal fails the operation as the API fails (null, -EACCES)
  // and says why on stderr. A check in the guest's own interpreter: it stops code that
  // uses the globals it is given, not code that imports "qjs:std" itself.
  const screen = { on: false, ask: {}, allow: {}, defaultAllows: false, asked: {}, n: 0 };
  const Re = RegExp, reTest = RegExp.prototype.test;
  const osRealpath = _os.realpath;
  const loadScreen = (table) => {
    screen.on = false; screen.asked = {}; screen.n = 0;
    if (!table || typeof table !== "object") return;
    for (const kind of ["read", "write"]) {
      const entry = table[kind] || {};
      for (const name of ["ask", "allow"]) {
        const text = entry[name];
        let re = null;
        if (typeof text === "string") {
          // a pattern this engine cannot compile: every path is the host's to decide
          try { re = new Re("^(?:" + text + ")$", "s"); } catch (e) { re = name === "ask" ? /^/ : null; }
        }
        screen[name][kind] = re;
      }
    }
    screen.defaultAllows = !!table.default_allows;
    screen.on = true;
  };
  const needsHost = (op, path) => {
    const kind = op === "read" ? "read" : "write";
    const ask = screen.ask[kind];
    if (ask && apply(reTest, ask, [path])) return true;
    if (screen.defaultAllows) return false;
    const allow = screen.allow[kind];
    return !allow || !apply(reTest, allow, [path]);
  };
  const normPath = (p) => {
    const out = [];
    for (const part of apply(String.prototype.split, p, ["/"])) {
      if (part === "" || part === ".") continue;
      if (part === "..") { out.pop(); continue; }
      out.push(part);
    }
    return "/" + out.join("/");
  };
  // why the host refused op on path ("" if allowed)
  const fileRefused = (op, name) => {
    if (!screen.on || intents.busy) return "";
    const path = normPath(absPath(name));
    const paths = [path];
    try {
      if (typeof osRealpath === "function") {
        const r = apply(osRealpath, _os, [path]);
        if (isArray(r) && typeof r[0] === "string" && r[1] === 0 && r[0] !== path) paths.push(normPath(r[0]));
      }
    } catch (e) { /* */ }
    // without realpath (this WASI build) a symlink cannot be seen here: every workspace
    // path is the host's to check (it resolves the name and decides what the rules name)
    const blind = typeof osRealpath !== "function";
    for (const p of paths) {
      if (!(p === "/workspace" || apply(strStarts, p, ["/workspace/"]))) continue;
      if (!blind && !needsHost(op, p)) continue;
      const key = op + "\0" + p;
      let why = apply(hasOwn, screen.asked, [key]) ? screen.asked[key] : undefined;
      if (why === undefined) {
        intents.busy = true;
        try {
          flush("stdout"); flush("stderr");
          send({ op: "filecheck", file_op: op, path: cut(p, 4096) });
          const reply = recv()[1];
          why = reply.ok ? "" : Str(reply.reason || "denied");
        } finally { intents.busy = false; }
        if (screen.n < 1000) { screen.asked[key] = why; screen.n++; }
      }
      if (why) {
        try { write("stderr", "corral: denied: " + cut(name, 4096) + ": " + why + "\n"); } catch (e) { /* capped */ }
        return why;
      }
    }
    return "";
  };
  const EACCES = 13;
  // std and os are module namespaces (read-only): user code gets copies of them with
  // the wrappers below in place of the originals, which only this closure keeps
  const stdOpen = _std.open, stdLoad = _std.loadFile, stdWrite = _std.writeFile;
  const osOpen = _os.open, osRemove = _os.remove, osRename = _os.rename, osMkdir = _os.mkdir;
  const O = { r: _os.O_RDONLY, w: _os.O_WRONLY, rw: _os.O_RDWR, a: _os.O_APPEND };
  const refusedObj = (errorObj) => {
    if (errorObj && typeof errorObj === "object") errorObj.errno = EACCES;
    return null;
  };
  const stdOver = {
    open: function (name, mode, errorObj) {
      const m = Str(mode);
      const op = apply(strIndexOf, m, ["a"]) >= 0 ? "append"
        : (apply(strIndexOf, m, ["w"]) >= 0 || apply(strIndexOf, m, ["+"]) >= 0) ? "write"
          : "read";
      if (fileRefused(op, name)) { fileIntent(name, op, true); return refusedObj(errorObj); }
      const f = apply(stdOpen, _std, arguments);
      fileIntent(name, op, f === null);
      return f;
    },
    loadFile: function (name) {
      if (fileRefused("read", name)) { fileIntent(name, "read", true); return null; }
      const r = apply(stdLoad, _std, arguments);
      fileIntent(name, "read", r === null);
      return r;
    },
    popen: function (cmd) { throw spawnIntent("std.popen", cmd); },
    urlGet: function (url) { throw urlIntent("std.urlGet", url); },
  };
  if (typeof stdWrite === "function") {
    stdOver.writeFile = function (name) {
      if (fileRefused("write", name)) {
        fileIntent(name, "write", true);
        throw new Err("Permission denied (corral): " + Str(name));
      }
      let ok = false;
      try { const r = apply(stdWrite, _std, arguments); ok = true; return r; }
      finally { fileIntent(name, "write", !ok); }
    };
  }
  const osOver = {
    open: function (name, flags) {
      const f = Number(flags) | 0, acc = f & (O.r | O.w | O.rw);
      const op = f & O.a ? "append" : acc !== O.r ? "write" : "read";
      if (fileRefused(op, name)) { fileIntent(name, op, true); return -EACCES; }
      const fd = apply(osOpen, _os, arguments);
      fileIntent(name, op, fd < 0);
      return fd;
    },
    remove: function (name) {
      if (fileRefused("delete", name)) { fileIntent(name, "delete", true); return -EACCES; }
      const r = apply(osRemove, _os, arguments);
      fileIntent(name, "delete", r < 0);
      return r;
    },
    rename: function (from, to) {
      if (fileRefused("delete", from) || fileRefused("rename", to)) {
        fileIntent(to, "rename", true);
        return -EACCES;
      }
      const r = apply(osRename, _os, arguments);
      fileIntent(to, "rename", r < 0);
      return r;
    },
    mkdir: function (name) {
      if (fileRefused("mkdir", name)) { fileIntent(name, "mkdir", true); return -EACCES; }
      const r = apply(osMkdir, _os, arguments);
      fileIntent(name, "mkdir", r < 0);
      return r;
    },
    exec: function (args) { throw spawnIntent("os.exec", isArray(args) ? args : [args]); },
  };
  const copyNs = (ns, over) => {
    const o = {};
    for (const k of Object.getOwnPropertyNames(ns)) o[k] = ns[k];
    for (const k of Object.getOwnPropertyNames(over)) o[k] = over[k];
    return o;
  };
  globalThis.std = copyNs(_std, stdOver);
  globalThis.os = copyNs(_os, osOver);
  // processes and network in Node's names (fetch, require)
  globalThis.fetch = function (input) {
    const url = input && typeof input === "object" && input.url !== undefined ? input.url : input;
    const e = urlIntent("fetch", url);
    return reject(new TypeErr("fetch failed: " + e.message));
  };
  const childProcess = {};
  for (const name of ["exec", "execSync"]) {
    childProcess[name] = function (cmd) { throw spawnIntent("child_process." + name, cmd); };
  }
  for (const name of ["execFile", "execFileSync", "spawn", "spawnSync"]) {
    childProcess[name] = function (file, args) {
      throw spawnIntent("child_process." + name, file, isArray(args) ? args : []);
    };
  }
  childProcess.fork = function (mod, args) {
    throw spawnIntent("child_process.fork", "node", [mod].concat(isArray(args) ? args : []));
  };
  const netModule = (prefix) => {
    const m = {};
    for (const name of ["connect", "createConnection"]) {
      m[name] = function (a, b) { throw optsIntent(prefix + "." + name, a, b); };
    }
    return m;
  };
  const httpModule = (prefix, scheme) => {
    const m = {};
    for (const name of ["get", "request"]) {
      m[name] = function (a) {
        if (a && typeof a === "object" && a.href === undefined && (a.host || a.hostname)) {
          const host = a.hostname || a.host;
          throw connectIntent(prefix + "." + name, host, a.port || ports[scheme], undefined);
        }
        throw optsIntent(prefix + "." + name, a);
      };
    }
    return m;
  };
  const modules = {
    child_process: childProcess, net: netModule("net"), tls: netModule("tls"),
    http: httpModule("http", "http"), https: httpModule("https", "https"),
  };
  globalThis.require = function (name) {
    const key = apply(strReplace, Str(name), [/^node:/, ""]);
    if (apply(hasOwn, modules, [key])) return modules[key];
    throw new Err("Cannot find module '" + Str(name) + "'");
  };

  try { if (_os.chdir) _os.chdir("/workspace"); } catch (e) { /* */ }
  {
    const [rid, hello] = recv();
    cur.id = rid;
    if (typeof hello.frame_max === "number") cur.max = hello.frame_max;
    if (typeof hello.frame_values === "number") cur.values = hello.frame_values;
  }
  send({ op: "ready", clock_ns: Math.floor(_os.now() * 1e6) });
  (async function loop() {
    for (;;) {
      const [rid, msg] = recv();
      cur.id = rid;
      if (msg.op === "exit") break;
      if (msg.op !== "exec") continue;
      toolNames = msg.tools || [];
      loadScreen(msg.files);
      for (const n of toolNames) {
        if (/^[A-Za-z_$][\w$]*$/.test(n)) globalThis[n] = (a) => call(n, a);
      }
      state.cap = msg.cap; state.used = 0; state.dropped = 0; state.stream = !!msg.stream;
      let exitCode = 0, error = null;
      let code = msg.code;
      if (msg.fresh) {
        globalThis.process = {
          argv: msg.argv || ["node"], env: msg.env || {}, platform: "wasi",
          exit: (c) => { throw new ProcessExit(c === undefined ? 0 : c); },
          stdout: { write: (s) => { write("stdout", String(s)); return true; } },
          stderr: { write: (s) => { write("stderr", String(s)); return true; } },
        };
        code = "{\n" + code + "\n}";
      }
      intents.on = true; intents.n = 0;
      try {
        await _std.evalScript(code, { async: true });
        // what the script left queued (an import()'s then, an async function it did not
        // await) runs now, inside this call and its wall, as Node runs it before exiting:
        // a timer of 0 ms fires only once the job queue is empty
        await new Promise((done) => apply(osSetTimeout, _os, [done, 0]));
      } catch (e) {
        if (e instanceof ProcessExit) {
          intents.on = false;
          exitCode = e.code & 255;
          flush("stdout"); flush("stderr");
          send({ op: "done", exit_code: exitCode, error: null, dropped: state.dropped });
          continue;
        }
        exitCode = 1;
        const name = (e && e.name) || "Error";
        const message = e && e.message !== undefined ? String(e.message) : String(e);
        error = { type: e instanceof OutputLimitExceeded ? "OutputLimitExceeded" : name, message };
        if (!(e instanceof OutputLimitExceeded)) {
          const stack = String((e && e.stack) || "").split("\n")
            .filter((l) => l && !l.includes("<cmdline>") && !l.includes("evalScript (native)"))
            .join("\n");
          const text = "Uncaught " + name + ": " + message + "\n" + (stack ? stack + "\n" : "");
          state.dropped = 0; state.cap = state.used + text.length;
          try { write("stderr", text); } catch (e2) { /* capped */ }
        }
      }
      intents.on = false;
      flush("stdout"); flush("stderr");
      send({ op: "done", exit_code: exitCode, error, dropped: state.dropped });
    }
    _std.exit(0);
  })();
})();
