/**
 * Helpers of the lifecycle tests: an instance as DescribeCompShareInstance answers it, listing,
 * creating, and waiting for Running, Stopped or no operation in flight, through the HTTP API.
 */
import assert from "node:assert/strict";
import type { NestedValue } from "@opencompshare/protocol";
import { CREATE, REGION, type TestServer } from "../helpers/server.js";

export interface Disk {
  DiskId: string;
  IsBoot: string;
  Size: number;
  DiskType: string;
}

export interface Inst {
  UHostId: string;
  Name: string;
  ChargeType: string;
  ExpireTime: number;
  IsExpire: string;
  State: string;
  CPU: number;
  Memory: number;
  GPU: number;
  GpuType: string;
  MachineType: string;
  CompShareImageId: string;
  CompShareImageName: string;
  Password: string;
  StopSchedulerTime: number;
  SchedulerStopTime: number;
  TotalDiskSpace: number;
  DiskSet: Disk[];
}

export interface Listing {
  total: number;
  set: Inst[];
}

export async function list(s: TestServer, params: Record<string, NestedValue> = {}): Promise<Listing> {
  const res = await s.call("DescribeCompShareInstance", { ...REGION, ...params });
  assert.equal(res.body.RetCode, 0, JSON.stringify(res.body));
  return { total: res.body.TotalCount as number, set: res.body.UHostSet as Inst[] };
}

export async function one(s: TestServer, id: string): Promise<Inst> {
  const { set } = await list(s, { "UHostIds.0": id });
  assert.equal(set.length, 1, `instance ${id} should be listed`);
  return set[0] as Inst;
}

export async function create(s: TestServer, params: Record<string, NestedValue> = {}): Promise<string[]> {
  const res = await s.call("CreateCompShareInstance", { ...CREATE, ...params });
  assert.equal(res.body.RetCode, 0, JSON.stringify(res.body));
  return res.body.UHostIds as string[];
}

export async function allRunning(s: TestServer, ids: string[]): Promise<void> {
  await s.until(async () => {
    const { set } = await list(s, { UHostIds: ids, Limit: 100 });
    return set.length === ids.length && set.every((i) => i.State === "Running");
  });
}

export async function stopped(s: TestServer): Promise<string> {
  const id = await s.running();
  assert.equal((await s.call("StopCompShareInstance", { ...REGION, UHostId: id })).body.RetCode, 0);
  await s.until(async () => (await s.state(id)) === "Stopped");
  return id;
}

/** Waits until no operation of the instance is still running. */
export async function idle(s: TestServer, id: string): Promise<void> {
  await s.until(async () => {
    const ops = await s.call("DescribeCompShareInstanceOperations", { ...REGION, UHostId: id });
    return (ops.body.OperationSet as Array<{ Status: string }>).every((o) => o.Status !== "Running");
  });
}

export const b64 = (text: string): string => Buffer.from(text, "utf8").toString("base64");
