import { useI18n, type Key } from "../i18n/index.js";
import { TRANSITIONAL } from "../model.js";

export const stateClass = (state: string): string => `state state-${state === "" ? "unknown" : state.toLowerCase().replace(/\s+/g, "-")}`;

/** An instance's state, in words, with a colour and (while it changes) a pulse. */
export function StateBadge(props: { state: string }) {
  const { t } = useI18n();
  const busy = TRANSITIONAL.has(props.state);
  const key = `state.${props.state}` as Key;
  const label = t(key);
  return <span class={stateClass(props.state) + (busy ? " busy" : "")}>{label === key ? props.state : label}</span>;
}
