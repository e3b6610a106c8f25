/**
 * A reference from outside: moto's server (the AWS mock, Python) on EC2 RebootInstances and
 * DescribeInstances, driven by the same load generator. moto is installed with
 * `pip install "moto[server]"` into a virtual environment cached in
 * ~/.cache/opencompshare-bench/venv (or $OCS_BENCH_CACHE/venv); when that fails the
 * benchmark records why and goes on without it.
 *
 * moto does not check signatures, but it routes a request to a service by the credential scope
 * of its Authorization header: a SigV4-shaped header naming `ec2` is enough.
 */
import { execFile } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { freePort, startChild, waitHttp, type Child } from "./lib.js";

const run = promisify(execFile);

export const MOTO_CONTENT_TYPE = "application/x-www-form-urlencoded; charset=utf-8";
export const MOTO_HEADERS = {
  Authorization: "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20240101/us-east-1/ec2/aws4_request, SignedHeaders=host;x-amz-date, Signature=0",
  "X-Amz-Date": "20240101T000000Z",
};

export type MotoSetup = { ok: true; bin: string; version: string; installedNow: boolean } | { ok: false; reason: string };

export function cacheDir(): string {
  return process.env.OCS_BENCH_CACHE ?? join(homedir(), ".cache", "opencompshare-bench");
}

async function motoVersion(python: string): Promise<string | undefined> {
  try {
    const { stdout } = await run(python, ["-c", "import moto, flask, flask_cors; print(moto.__version__)"], { timeout: 30_000 });
    return stdout.trim();
  } catch {
    return undefined;
  }
}

/** Makes sure moto's server is installed (cached); never throws. */
export async function prepareMoto(installTimeoutMs: number): Promise<MotoSetup> {
  const venv = join(cacheDir(), "venv");
  const python = join(venv, "bin", "python");
  const bin = join(venv, "bin", "moto_server");
  const cached = existsSync(bin) ? await motoVersion(python) : undefined;
  if (cached) return { ok: true, bin, version: cached, installedNow: false };
  try {
    mkdirSync(cacheDir(), { recursive: true });
    if (!existsSync(python)) await run("python3", ["-m", "venv", venv], { timeout: 60_000 });
    await run(join(venv, "bin", "pip"), ["install", "--quiet", "--disable-pip-version-check", "moto[server]"], {
      timeout: installTimeoutMs,
      maxBuffer: 16 * 1024 * 1024,
    });
  } catch (error) {
    const e = error as { message?: string; stderr?: string };
    const detail = (e.stderr || e.message || String(error)).trim().split("\n").slice(-3).join(" ");
    return { ok: false, reason: `pip install "moto[server]" failed: ${detail}` };
  }
  const version = existsSync(bin) ? await motoVersion(python) : undefined;
  return version ? { ok: true, bin, version, installedNow: true } : { ok: false, reason: "moto installed but moto_server is not usable" };
}

export interface MotoServer extends Child {
  url: string;
}

export async function startMoto(bin: string): Promise<MotoServer> {
  const port = await freePort();
  // Werkzeug's request log goes to stderr: to /dev/null, so writing it costs what it costs
  // without a reader to keep up.
  const child = startChild(bin, ["-H", "127.0.0.1", "-p", String(port)], { stdio: ["ignore", "ignore", "ignore"] });
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitHttp(`${url}/moto-api/`, 60_000, child.exited);
  } catch (error) {
    await child.stop("SIGKILL");
    throw error;
  }
  return { ...child, url };
}

export const ec2Body = (action: string, params: Record<string, string | number>): string =>
  new URLSearchParams({ Action: action, Version: "2016-11-15", ...Object.fromEntries(Object.entries(params).map(([k, v]) => [k, String(v)])) }).toString();

/** Launches `count` EC2 instances in moto; returns their ids. */
export async function runInstances(url: string, count: number): Promise<string[]> {
  const res = await fetch(`${url}/`, {
    method: "POST",
    headers: { "Content-Type": MOTO_CONTENT_TYPE, ...MOTO_HEADERS },
    body: ec2Body("RunInstances", { ImageId: "ami-12c6146b", MinCount: count, MaxCount: count, InstanceType: "t2.micro" }),
  });
  const text = await res.text();
  const ids = [...text.matchAll(/<instanceId>(i-[0-9a-f]+)<\/instanceId>/g)].map((m) => m[1] as string);
  if (ids.length !== count) throw new Error(`moto RunInstances gave ${ids.length} instances, not ${count}: ${text.slice(0, 300)}`);
  return ids;
}
