// Used by `bench/run.mjs --diagnose` as the pool's worker script: runs dist/worker.js unchanged, but stamps
// when each run_try arrived and when its try_result left (epoch ms, µs precision) onto the result, so the
// harness can split a try's round trip into driver → worker, in the worker, and worker → driver.
const now = () => performance.timeOrigin + performance.now();
let recv = 0;
process.prependListener("message", (m) => { if (m.kind === "run_try") recv = now(); });
const send = process.send.bind(process);
process.send = (m, ...rest) => { if (m.kind === "try_result") m.result.__t = { recv, send: now() }; return send(m, ...rest); };
await import("../dist/worker.js");
