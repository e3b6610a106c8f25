/**
 * The login: a nonce from the server, the signature of Action=ConsoleLogin, Nonce and PublicKey
 * computed here with the private key, then the public key, nonce and signature sent. The private
 * key stays in this component's memory while the form is filled, and is cleared at submit.
 */
import { ERRORS } from "@opencompshare/protocol/web";
import { useState } from "preact/hooks";
import { ApiFailure, post, type SessionInfo } from "../api.js";
import { useI18n } from "../i18n/index.js";
import { sign } from "../signing.js";

export function Login(props: { onLogin: (s: SessionInfo) => void }) {
  const { t } = useI18n();
  const [publicKey, setPublicKey] = useState("");
  const [privateKey, setPrivateKey] = useState("");
  const [error, setError] = useState<{ text: string; detail?: string } | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: Event) => {
    e.preventDefault();
    if (busy) return;
    const pub = publicKey.trim();
    const key = privateKey;
    setPrivateKey("");
    setBusy(true);
    setError(null);
    try {
      const { Nonce } = (await post("nonce")) as unknown as { Nonce: string };
      const Signature = await sign({ Action: "ConsoleLogin", Nonce, PublicKey: pub }, key);
      const s = (await post("login", { PublicKey: pub, Nonce, Signature })) as unknown as SessionInfo;
      props.onLogin(s);
    } catch (err) {
      if (err instanceof ApiFailure) {
        const code = err.retCode;
        const text = code === ERRORS.SignatureError.retCode ? t("refusedSignature") : code === ERRORS.UserNotExists.retCode ? t("refusedUnknownKey") : /Nonce/.test(err.message) ? t("refusedNonce") : t("refusedOther");
        setError({ text, detail: t("serverSaid", { message: err.message, code }) });
      } else setError({ text: t("unreachable", { message: err instanceof Error ? err.message : String(err) }) });
      setBusy(false);
    }
  };

  return (
    <div class="page login">
      <form class="card" onSubmit={(e) => void submit(e)}>
        <h1 tabIndex={-1}>{t("loginTitle")}</h1>
        <p class="muted">{t("loginIntro")}</p>
        <label class="field">
          <span>{t("publicKey")}</span>
          <input name="public-key" value={publicKey} onInput={(e) => setPublicKey(e.currentTarget.value)} autoComplete="username" spellcheck={false} required />
        </label>
        <label class="field">
          <span>{t("privateKey")}</span>
          <input type="password" value={privateKey} onInput={(e) => setPrivateKey(e.currentTarget.value)} autoComplete="off" required />
        </label>
        <div role="alert">
          {error && (
            <p class="notice error">
              <span>{error.text}</span>
              {error.detail && <small>{error.detail}</small>}
            </p>
          )}
        </div>
        <button type="submit" class="primary" disabled={busy}>
          {busy ? t("loggingIn") : t("logIn")}
        </button>
      </form>
    </div>
  );
}
