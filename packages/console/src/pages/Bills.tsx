/**
 * The account's bills (#/bills), from DescribeCompShareBills: the balance and what is unpaid,
 * then every charge and credit of the ledger, newest first, 20 to a page: time, resource, kind,
 * period, amount, paid or not. Text only through Preact (escaped); no inline style or script.
 */
import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import type { Bill } from "@opencompshare/protocol/web";
import { ApiFailure, call } from "../api.js";
import { kindLabel, useBillsT, type BillsKey, type BillsT } from "../i18n/bills.js";
import { useI18n, type I18n } from "../i18n/index.js";
import "./bills.css";

export const PAGE_SIZE = 20;


interface BillsAnswer {
  TotalCount: number;
  BillSet: Bill[];
  Balance: number;
  Unpaid: number;
}

type Status = "" | "Unpaid" | "Paid";

/** `¥12.34`, `-¥1.66`. */
export const yuan = (cny: number): string => `${cny < 0 ? "-" : ""}¥${Math.abs(cny).toFixed(2)}`;
/** An amount with its sign: `-1.66` for a charge, `+100.00` for a credit. */
export const signed = (cny: number): string => (cny > 0 ? `+${cny.toFixed(2)}` : cny.toFixed(2));

/** The period billed: its start, then its end (the end's time alone on the same day); a dash for an instant (a top-up). */
function period(i18n: I18n, b: Bill): string {
  if (!b.BeginTime || b.EndTime <= b.BeginTime) return "—";
  const locale = i18n.lang === "zh" ? "zh-CN" : "en-GB";
  const day = (s: number) => new Date(s * 1000).toLocaleDateString(locale);
  const end = day(b.BeginTime) === day(b.EndTime) ? new Date(b.EndTime * 1000).toLocaleTimeString(locale) : i18n.time(b.EndTime);
  return `${i18n.time(b.BeginTime)} – ${end}`;
}

function Resource(props: { t: BillsT; bill: Bill }) {
  const { t, bill } = props;
  if (!bill.ResourceId) return <span class="muted">{t("noResource")}</span>;
  const typeKey = `type.${bill.ResourceType}`;
  const type = ["type.Instance", "type.Disk", "type.Image"].includes(typeKey) ? t(typeKey as BillsKey) : bill.ResourceType;
  return (
    <>
      {bill.ResourceType === "Instance" ? (
        <a class="mono" href={`#/instances/${encodeURIComponent(bill.ResourceId)}`}>
          {bill.ResourceId}
        </a>
      ) : (
        <span class="mono">{bill.ResourceId}</span>
      )}
      <div class="muted small">{type}</div>
    </>
  );
}

export function Bills() {
  const i18n = useI18n();
  const t = useBillsT();
  const [status, setStatus] = useState<Status>("");
  const [offset, setOffset] = useState(0);
  const [answer, setAnswer] = useState<BillsAnswer | null>(null);
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);
  // Only the last request's answer is shown: a slower earlier one does not overwrite it.
  const seq = useRef(0);

  const load = useCallback(async () => {
    const n = ++seq.current;
    setBusy(true);
    try {
      const r = await call<BillsAnswer>("DescribeCompShareBills", { Offset: offset, Limit: PAGE_SIZE, ...(status ? { PayStatus: status } : {}) });
      if (n !== seq.current) return;
      setAnswer(r);
      setError("");
    } catch (e) {
      if (n !== seq.current) return;
      setError(e instanceof ApiFailure ? `${e.message} (RetCode ${e.retCode})` : String(e));
    } finally {
      if (n === seq.current) setBusy(false);
    }
  }, [offset, status]);

  useEffect(() => {
    void load();
  }, [load]);

  const total = answer?.TotalCount ?? 0;
  const bills = answer?.BillSet ?? [];
  const choose = (next: Status) => {
    setStatus(next);
    setOffset(0);
  };

  return (
    <div class="page">
      <div class="titlebar">
        <h1 tabIndex={-1}>{t("bills")}</h1>
        <button type="button" onClick={() => void load()} disabled={busy}>
          {t("refresh")}
        </button>
      </div>
      <dl class="details bills-summary" aria-busy={answer === null}>
        <div>
          <dt>{t("balance")}</dt>
          <dd>{answer ? yuan(answer.Balance) : "—"}</dd>
        </div>
        <div>
          <dt>{t("unpaid")}</dt>
          <dd class={answer && answer.Unpaid > 0 ? "bill-unpaid" : ""}>{answer ? yuan(answer.Unpaid) : "—"}</dd>
        </div>
      </dl>
      {answer && answer.Unpaid > 0 && <p class="notice error">{t("unpaidNotice", { amount: yuan(answer.Unpaid) })}</p>}
      <div class="toolbar">
        <label class="field inline">
          <span>{t("show")}</span>
          <select value={status} onChange={(e) => choose(e.currentTarget.value as Status)}>
            <option value="">{t("all")}</option>
            <option value="Unpaid">{t("onlyUnpaid")}</option>
            <option value="Paid">{t("onlyPaid")}</option>
          </select>
        </label>
      </div>
      {error && (
        <p class="notice error" role="alert">
          {t("failed", { message: error })}
        </p>
      )}
      {answer === null ? (
        !error && <p class="muted">{t("loading")}</p>
      ) : bills.length === 0 ? (
        <p class="muted">{status ? t("noneMatch") : t("none")}</p>
      ) : (
        <div class="table-wrap" tabIndex={0} role="region" aria-labelledby="bills-caption">
          <table class="bills">
            <caption id="bills-caption" class="visually-hidden">
              {t("bills")}
            </caption>
            <thead>
              <tr>
                <th scope="col">{t("colTime")}</th>
                <th scope="col">{t("colResource")}</th>
                <th scope="col">{t("colKind")}</th>
                <th scope="col">{t("colPeriod")}</th>
                <th scope="col" class="amount">
                  {t("colAmount")}
                </th>
                <th scope="col">{t("colStatus")}</th>
                <th scope="col" class="amount">
                  {t("colBalanceAfter")}
                </th>
              </tr>
            </thead>
            <tbody>
              {bills.map((b) => (
                <tr key={b.BillId} data-bill={b.BillId}>
                  <td>{i18n.time(b.CreateTime)}</td>
                  <td>
                    <Resource t={t} bill={b} />
                  </td>
                  <td>
                    {kindLabel(t, b.Kind)}
                    {b.Remark && <div class="muted small">{b.Remark}</div>}
                  </td>
                  <td>{period(i18n, b)}</td>
                  <td class={`amount${b.Amount > 0 ? " credit" : ""}`}>{signed(b.Amount)}</td>
                  <td>
                    {b.PayStatus === "Unpaid" ? (
                      <span class="bill-unpaid">{t("unpaidStatus")}</span>
                    ) : b.PayStatus === "Paid" ? (
                      <span class="bill-paid">{t("paid")}</span>
                    ) : (
                      <span>{b.PayStatus}</span>
                    )}
                    {b.PayStatus === "Paid" && b.PayTime > b.CreateTime && <div class="muted small">{t("paidAt", { time: i18n.time(b.PayTime) })}</div>}
                  </td>
                  <td class="amount">{b.BalanceAfter.toFixed(2)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {answer !== null && total > 0 && (
        <nav class="pager" aria-label={t("pages")}>
          <button type="button" disabled={busy || offset === 0} onClick={() => setOffset(Math.max(0, offset - PAGE_SIZE))}>
            {t("previous")}
          </button>
          <span role="status">{t("range", { from: Math.min(offset + 1, total), to: Math.min(offset + bills.length, total), total })}</span>
          <button type="button" disabled={busy || offset + PAGE_SIZE >= total} onClick={() => setOffset(offset + PAGE_SIZE)}>
            {t("next")}
          </button>
        </nav>
      )}
    </div>
  );
}
