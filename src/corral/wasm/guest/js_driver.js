// corral's driver for the QuickJS-ng WASI guest, run as `qjs --std -e DRIVER`.
// Same protocol as the Python driver (see corral/channel.py): requests
// "<id> <json>" on fd 0, framed answers "\x00CRL<id><length>\n<json>" on fd 1
// echoing the request's id. Console output is captured, capped and framed;
// what user code writes to fd 1 itself is plain output, never a frame. The id
// lives only in this closure, and the driver keeps its own references to the
// functions it calls, so user code that patches JSON or std does not see it.
(function () {
  const _std = std;
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
  const cur = { id: "", max: 64 * 1024 * 1024 };
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

  try { if (typeof os !== "undefined" && os.chdir) os.chdir("/workspace"); } catch (e) { /* */ }
  {
    const [rid, hello] = recv();
    cur.id = rid;
    if (typeof hello.frame_max === "number") cur.max = hello.frame_max;
  }
  send({ op: "ready", clock_ns: Math.floor(os.now() * 1e6) });
  (async function loop() {
    for (;;) {
      const [rid, msg] = recv();
      cur.id = rid;
      if (msg.op === "exit") break;
      if (msg.op !== "exec") continue;
      toolNames = msg.tools || [];
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
      try {
        await _std.evalScript(code, { async: true });
      } catch (e) {
        if (e instanceof ProcessExit) {
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
      flush("stdout"); flush("stderr");
      send({ op: "done", exit_code: exitCode, error, dropped: state.dropped });
    }
    _std.exit(0);
  })();
})();
