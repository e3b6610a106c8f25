/** The words of the Bills page (#/bills) and its link, in English and 中文. `{name}` is filled in. */
import { useI18n, type Lang } from "./index.js";

const en = {
  nav: "Sections",
  instances: "Instances",
  bills: "Bills",
  balance: "Balance",
  unpaid: "Unpaid",
  unpaidNotice: "{amount} is unpaid. A top-up pays it, oldest bill first; until then the instances with unpaid bills are on the arrears timeline.",
  show: "Show",
  all: "All bills",
  onlyUnpaid: "Unpaid only",
  onlyPaid: "Paid only",
  refresh: "Refresh",
  loading: "Loading…",
  none: "No bills yet.",
  noneMatch: "No bill matches the filter.",
  failed: "The bills could not be read: {message}",
  colTime: "Time",
  colResource: "Resource",
  colKind: "Kind",
  colPeriod: "Period",
  colAmount: "Amount (CNY)",
  colStatus: "Status",
  colBalanceAfter: "Balance after",
  noResource: "Account",
  paid: "Paid",
  unpaidStatus: "Unpaid",
  paidAt: "paid {time}",
  pages: "Pages",
  previous: "Previous page",
  next: "Next page",
  range: "{from}–{to} of {total}",
  "kind.hour": "Pay-as-you-go hour",
  "kind.renew": "Renewal",
  "kind.buy": "Purchase",
  "kind.refund": "Refund",
  "kind.idle": "Stopped instance (disk, image)",
  "kind.disk": "Data disk",
  "kind.system-disk": "System disk",
  "kind.storage": "Image storage",
  "kind.image": "Paid image",
  "kind.topup": "Top-up",
  "kind.set": "Balance set",
  "kind.opening": "Opening balance",
  "type.Instance": "instance",
  "type.Disk": "disk",
  "type.Image": "image",
};

export type BillsKey = keyof typeof en;

const zh: Record<BillsKey, string> = {
  nav: "栏目",
  instances: "实例",
  bills: "账单",
  balance: "余额",
  unpaid: "未支付",
  unpaidNotice: "有 {amount} 未支付。充值后按账单先后支付；在此之前，有未支付账单的实例处于欠费流程中。",
  show: "显示",
  all: "全部账单",
  onlyUnpaid: "仅未支付",
  onlyPaid: "仅已支付",
  refresh: "刷新",
  loading: "加载中…",
  none: "还没有账单。",
  noneMatch: "没有符合筛选条件的账单。",
  failed: "无法读取账单：{message}",
  colTime: "时间",
  colResource: "资源",
  colKind: "类型",
  colPeriod: "计费周期",
  colAmount: "金额（元）",
  colStatus: "状态",
  colBalanceAfter: "账后余额",
  noResource: "账户",
  paid: "已支付",
  unpaidStatus: "未支付",
  paidAt: "支付于 {time}",
  pages: "分页",
  previous: "上一页",
  next: "下一页",
  range: "第 {from}–{to} 条，共 {total} 条",
  "kind.hour": "按量计费（小时）",
  "kind.renew": "续费",
  "kind.buy": "购买",
  "kind.refund": "退款",
  "kind.idle": "关机期间（系统盘、镜像）",
  "kind.disk": "数据盘",
  "kind.system-disk": "系统盘",
  "kind.storage": "镜像存储",
  "kind.image": "付费镜像",
  "kind.topup": "充值",
  "kind.set": "余额调整",
  "kind.opening": "开户余额",
  "type.Instance": "实例",
  "type.Disk": "云盘",
  "type.Image": "镜像",
};

const tables: Record<Lang, Record<BillsKey, string>> = { en, zh };

export type BillsT = (key: BillsKey, vars?: Record<string, string | number>) => string;

export function billsTranslator(lang: Lang): BillsT {
  const table = tables[lang];
  return (key, vars) => {
    let s = table[key] ?? en[key] ?? key;
    if (vars) for (const [k, v] of Object.entries(vars)) s = s.split(`{${k}}`).join(String(v));
    return s;
  };
}

/** The Bills page's words in the page's language. */
export const useBillsT = (): BillsT => billsTranslator(useI18n().lang);

/** A kind of bill in words; a kind this page does not know is shown as it is. */
export function kindLabel(t: BillsT, kind: string): string {
  const key = `kind.${kind}`;
  return Object.hasOwn(en, key) ? t(key as BillsKey) : kind;
}
