/** The streams and environment a command runs with: the process's, or a test's. */

export interface OutStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface Io {
  stdout: OutStream;
  stderr: OutStream;
  stdin: NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?: (mode: boolean) => unknown };
  env: NodeJS.ProcessEnv;
}

export const processIo = (): Io => ({ stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env });

/** A mistake in the command line: exit code 2. */
export class UsageError extends Error {
  constructor(
    message: string,
    /** The help to point at, e.g. "ocs instance reboot --help". */
    readonly help?: string,
  ) {
    super(message);
  }
}
