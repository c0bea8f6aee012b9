// Preloaded into a real agent CLI (NODE_OPTIONS=--import=<this file>) to give it a controlled clock: `Date` starts at
// ORCHD_FAKE_CLOCK_START_MS when the process starts and advances at ORCHD_FAKE_CLOCK_RATE times real time. Timers
// (setTimeout, performance.now) are untouched. test/real-agents/gemini-driver.test.ts uses it to put two Gemini
// processes in the same clock minute, whatever the machine's load, to pin a quirk that depends on that minute.
const start = Number(process.env.ORCHD_FAKE_CLOCK_START_MS);
if (Number.isFinite(start)) {
  const RealDate = Date;
  const rate = Number(process.env.ORCHD_FAKE_CLOCK_RATE ?? '1');
  const realStart = RealDate.now();
  const now = () => Math.floor(start + (RealDate.now() - realStart) * rate);
  globalThis.Date = new Proxy(RealDate, {
    construct(target, args, newTarget) {
      return Reflect.construct(target, args.length === 0 ? [now()] : args, newTarget);
    },
    apply() {
      return new RealDate(now()).toString();
    },
    get(target, property, receiver) {
      if (property === 'now') return now;
      return Reflect.get(target, property, receiver);
    },
  });
}
