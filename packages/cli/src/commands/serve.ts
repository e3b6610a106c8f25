/** `ocs serve`: runs the server until SIGTERM or SIGINT, then stops gracefully. */
import { createApp, type Config } from "@opencompshare/server";

export async function serve(config: Config): Promise<number> {
  const app = await createApp(config);
  const address = await app.listen();
  const created = app.createdCredentials;
  if (created) {
    const where = `${config.dataDir}/default-credentials.json`;
    // Printed for the person at the terminal only; never into the log stream.
    const text = process.stderr.isTTY
      ? `\nDefault account created. Keep these safe (also in ${where}, mode 0600):\n  PublicKey:  ${created.PublicKey}\n  PrivateKey: ${created.PrivateKey}\n  ProjectId:  ${created.ProjectId}\n\n`
      : `\nDefault account created; its key pair is in ${where} (mode 0600).\n\n`;
    process.stderr.write(text);
  }
  process.stderr.write(`ocs: serving on http://${address.address}:${address.port}\n`);
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once("SIGTERM", stop);
    process.once("SIGINT", stop);
  });
  process.stderr.write("ocs: stopping: finishing requests in flight\n");
  await app.close();
  return 0;
}
