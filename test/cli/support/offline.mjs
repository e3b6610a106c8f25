// Loaded with --import into an `ocs` process: this machine is offline. fetch to any host but the
// loopback fails as undici fails when a name does not resolve, and nothing leaves the machine.
const realFetch = globalThis.fetch;
globalThis.fetch = (input, init) => {
  const url = new URL(typeof input === "string" || input instanceof URL ? input : input.url);
  if (url.hostname === "127.0.0.1" || url.hostname === "localhost") return realFetch(input, init);
  const cause = Object.assign(new Error(`getaddrinfo ENOTFOUND ${url.hostname}`), { code: "ENOTFOUND", hostname: url.hostname });
  return Promise.reject(new TypeError("fetch failed", { cause }));
};
