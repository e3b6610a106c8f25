/**
 * What every test of the driver conformance suite works with: a fresh driver for each test (made
 * by the driver's own `makeDriver`, closed after the test), machine specs, and the steps the tests
 * are written in: drive a call to its end, await one that must take no time, start a machine
 * stopped or running, start a call without awaiting it, abort one.
 */
import assert from "node:assert/strict";
import { afterEach, beforeEach } from "node:test";
import type { Driver, DriverCall, MachineSpec, MachineStatus } from "@opencompshare/server";
import { flush, track, type TimeControl, type Tracked } from "./time.js";

/** What `buildImage` reports to `onProgress` (not exported by the server package). */
export type ImageProgress = Parameters<NonNullable<Parameters<Driver["buildImage"]>[2]>>[0];

export interface DriverUnderTest {
  driver: Driver;
  time: TimeControl;
  close(): Promise<void>;
}

export const SPEC: MachineSpec = { cpu: 16, memory: 65536, gpu: 1, gpuType: "4090", imageId: "compshareImage-ubuntu2204", diskGb: 50 };
export const BIGGER: MachineSpec = { ...SPEC, cpu: 32, memory: 131072, gpu: 2, diskGb: 100 };

/** The driver of the test that runs, its time, and the steps the tests are written in. */
export interface Conformance {
  readonly driver: Driver;
  readonly time: TimeControl;
  /** A fresh signal that never aborts (one per call: listeners are not shared). */
  never(): DriverCall;
  /** A machine id not used before in this process. */
  newId(): string;
  /** Drives a call to its end (moving time as needed). */
  run<T>(p: Promise<T> | Tracked<T>): Promise<T>;
  /** Awaits a call that must end without time passing. */
  withoutTime<T>(p: Promise<T> | Tracked<T>, what: string): Promise<T>;
  status(id: string): Promise<MachineStatus>;
  /** A new machine, provisioned and stopped. */
  stopped(): Promise<string>;
  /** A new machine, provisioned and running. */
  running(): Promise<string>;
  /** Starts a call and lets its database work run, without moving the clock. */
  started<T>(p: Promise<T>): Promise<Tracked<T>>;
  /** Asserts that the call is still in flight, aborts it, and asserts that it rejects at once. */
  abortsPromptly<T>(what: string, call: (c: DriverCall) => Promise<T>): Promise<void>;
}

/** Gives every test of the describe block it is called in a fresh driver from `makeDriver`. */
export function conformanceContext(makeDriver: () => Promise<DriverUnderTest>): Conformance {
  let ctx: DriverUnderTest;
  let driver: Driver;
  let time: TimeControl;
  let seq = 0;
  /** A fresh signal that never aborts (one per call: listeners are not shared). */
  const never = (): DriverCall => ({ signal: new AbortController().signal });

  beforeEach(async () => {
    ctx = await makeDriver();
    driver = ctx.driver;
    time = ctx.time;
  });
  afterEach(async () => {
    await ctx.close();
  });

  const newId = (): string => `conf-${process.pid}-${++seq}`;
  const run = <T>(p: Promise<T> | Tracked<T>): Promise<T> => time.run(p);
  const withoutTime = <T>(p: Promise<T> | Tracked<T>, what: string): Promise<T> => time.quick(p, what);
  const status = (id: string): Promise<MachineStatus> => withoutTime(driver.status(id, never()), `status(${id})`);

  async function stopped(): Promise<string> {
    const id = newId();
    await run(driver.provision(id, SPEC, never()));
    assert.equal((await status(id)).power, "stopped");
    return id;
  }

  async function running(): Promise<string> {
    const id = await stopped();
    await run(driver.powerOn(id, never()));
    assert.equal((await status(id)).power, "running");
    return id;
  }

  /** Starts a call and lets its database work run, without moving the clock. */
  async function started<T>(p: Promise<T>): Promise<Tracked<T>> {
    const t = track(p);
    await flush();
    return t;
  }

  /** Asserts that the call is still in flight, aborts it, and asserts that it rejects at once. */
  async function abortsPromptly<T>(what: string, call: (c: DriverCall) => Promise<T>): Promise<void> {
    const ac = new AbortController();
    const t = await started(call({ signal: ac.signal }));
    assert.equal(t.done, false, `${what} should take clock time (it ended before the clock moved)`);
    ac.abort(new Error("test abort"));
    await assert.rejects(withoutTime(t, `${what} after its signal aborted`));
  }

  return {
    get driver() {
      return driver;
    },
    get time() {
      return time;
    },
    never,
    newId,
    run,
    withoutTime,
    status,
    stopped,
    running,
    started,
    abortsPromptly,
  };
}
