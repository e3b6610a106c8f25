/**
 * The console's built files, read once at start and served from memory. The page itself is
 * revalidated on every load; the files it names carry a content hash, so they are cached for a
 * year. Each file is served in the encoding the browser accepts, brotli or gzip: the build
 * writes both beside each file (X.br, X.gz), and a file without them is compressed on its first
 * request, once, so that a start never pays for compression. When the console was not built, there is nothing to serve: `/console` then
 * answers 503 and says how to build it.
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, extname, join } from "node:path";
import { brotliCompressSync, constants, gzipSync } from "node:zlib";

export interface Asset {
  type: string;
  body: Buffer;
  /** The brotli and gzip encodings, read from the build or made on first use. */
  br(): Buffer;
  gzip(): Buffer;
  etag: string;
  immutable: boolean;
}

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".woff2": "font/woff2",
  ".json": "application/json",
};

export interface ConsoleAssets {
  /** By path under /console: "" is the page, "assets/main-HASH.js" a file it names. */
  files: Map<string, Asset>;
  /** Why there is nothing to serve, when there is not. */
  missing?: string;
}

/** `file` compressed by the build, or else by `compress` on first use (then kept). */
function encoding(file: string, compress: () => Buffer): () => Buffer {
  let made: Buffer | undefined = existsSync(file) ? readFileSync(file) : undefined;
  return () => (made ??= compress());
}

function asset(root: string, name: string): Asset {
  const path = join(root, name);
  const body = readFileSync(path);
  return {
    type: TYPES[extname(name)] ?? "application/octet-stream",
    body,
    br: encoding(`${path}.br`, () => brotliCompressSync(body, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } })),
    gzip: encoding(`${path}.gz`, () => gzipSync(body, { level: 9 })),
    etag: `"${createHash("sha256").update(body).digest("base64url").slice(0, 22)}"`,
    immutable: name !== "index.html",
  };
}

/** Loads the build named by the console package's manifest (or by `dir`, for tests). */
export function loadConsoleAssets(dir?: string): ConsoleAssets {
  let root: string;
  let manifest: { files: string[] };
  try {
    root = dir ?? dirname(createRequire(import.meta.url).resolve("@opencompshare/console/dist/manifest.json"));
    manifest = JSON.parse(readFileSync(join(root, "manifest.json"), "utf8")) as { files: string[] };
  } catch {
    return { files: new Map(), missing: "the console is not built: `npm ci` builds it when the dev dependencies are installed (esbuild, preact), or run `npm run build -w @opencompshare/console`" };
  }
  const files = new Map<string, Asset>();
  for (const name of manifest.files) {
    files.set(name === "index.html" ? "" : name, asset(root, name));
  }
  return { files };
}

/** The body to send for an Accept-Encoding header, and its Content-Encoding. */
export function negotiate(a: Asset, acceptEncoding: string | undefined): { body: Buffer; encoding?: "br" | "gzip" } {
  const accepted = (acceptEncoding ?? "")
    .split(",")
    .map((part) => part.trim().split(";"))
    .filter(([, q]) => q === undefined || !/^\s*q=0(\.0*)?\s*$/.test(q))
    .map(([name]) => name?.trim().toLowerCase());
  if (accepted.includes("br") && a.br().length < a.body.length) return { body: a.br(), encoding: "br" };
  if (accepted.includes("gzip") && a.gzip().length < a.body.length) return { body: a.gzip(), encoding: "gzip" };
  return { body: a.body };
}
