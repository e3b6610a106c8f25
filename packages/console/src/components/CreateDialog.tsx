/**
 * Creating an instance: a zone, a GPU type of that zone and one of its sizes, an image that
 * supports the type, a billing mode; the price of that choice from GetCompShareInstancePrice;
 * then CreateCompShareInstance.
 */
import { useEffect, useState } from "preact/hooks";
import { ApiFailure, call } from "../api.js";
import { useI18n, type Key } from "../i18n/index.js";
import { Dialog } from "./Dialog.js";

interface Zone {
  Region: string;
  Zone: string;
  Describe: string;
}
interface Size {
  Gpu: number;
  Collection: { Cpu: number; Memory: number[] }[];
}
interface GpuType {
  Name: string;
  Zone: string;
  Status: string;
  Description: string;
  MachineSizes: Size[];
}
interface Image {
  CompShareImageId: string;
  Name: string;
  ImageType: string;
  Status: string;
  SupportedGpuTypes: string[];
}
interface PriceDetail {
  ChargeType: string;
  Instance: number;
  Disks: number;
  SystemDisks: number;
  CompShareImage: number;
}

const CHARGES: { type: string; per: Key }[] = [
  { type: "Postpay", per: "perHour" },
  { type: "Day", per: "perDay" },
  { type: "Month", per: "perMonth" },
];

const failureText = (e: unknown) => (e instanceof ApiFailure ? `${e.message} (RetCode ${e.retCode})` : e instanceof Error ? e.message : String(e));

function Select(props: { label: string; value: string; onChange: (v: string) => void; options: { value: string; label: string; disabled?: boolean }[] }) {
  return (
    <label class="field">
      <span>{props.label}</span>
      <select value={props.value} onChange={(e) => props.onChange(e.currentTarget.value)} disabled={props.options.length === 0}>
        {props.options.map((o) => (
          <option key={o.value} value={o.value} disabled={o.disabled}>
            {o.label}
          </option>
        ))}
      </select>
    </label>
  );
}

export function CreateDialog(props: { onClose: () => void; onCreated: (ids: string[], name: string) => void }) {
  const { t } = useI18n();
  const [zones, setZones] = useState<Zone[]>([]);
  const [zone, setZone] = useState("");
  const [types, setTypes] = useState<GpuType[]>([]);
  const [images, setImages] = useState<Image[]>([]);
  const [gpuType, setGpuType] = useState("");
  const [gpu, setGpu] = useState(0);
  const [cpu, setCpu] = useState(0);
  const [mem, setMem] = useState(0);
  const [image, setImage] = useState("");
  const [charge, setCharge] = useState("Postpay");
  const [name, setName] = useState("");
  const [price, setPrice] = useState<PriceDetail[] | null | undefined>(undefined);
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);

  const [region, zoneName] = zone.split("|") as [string, string | undefined];

  useEffect(() => {
    call<{ ZoneInfo: Zone[] }>("DescribeCompShareSupportZone")
      .then((r) => {
        setZones(r.ZoneInfo);
        const first = r.ZoneInfo[0];
        if (first) setZone(`${first.Region}|${first.Zone}`);
      })
      .catch((e: unknown) => setError(failureText(e)));
  }, []);

  useEffect(() => {
    if (!zoneName) return;
    let live = true;
    Promise.all([
      call<{ AvailableInstanceTypes: GpuType[] }>("DescribeAvailableCompShareInstanceTypes", { Region: region }),
      call<{ ImageSet: Image[] }>("DescribeCompShareImages", { Region: region, Zone: zoneName, Limit: 100 }),
    ])
      .then(([ty, im]) => {
        if (!live) return;
        const here = ty.AvailableInstanceTypes.filter((x) => x.Zone === zoneName);
        setTypes(here);
        setImages(im.ImageSet.filter((i) => i.Status === "Available"));
        const pick = here.find((x) => x.Status === "Normal") ?? here[0];
        setGpuType(pick?.Name ?? "");
      })
      .catch((e: unknown) => setError(failureText(e)));
    return () => {
      live = false;
    };
  }, [zone]);

  const type = types.find((x) => x.Name === gpuType);
  const sizes = type?.MachineSizes ?? [];
  const size = sizes.find((s) => s.Gpu === gpu);
  const collection = size?.Collection ?? [];
  const coll = collection.find((c) => c.Cpu === cpu);
  const fits = images.filter((i) => i.SupportedGpuTypes.length === 0 || i.SupportedGpuTypes.includes(gpuType));

  // Keep each choice valid as the ones above it change.
  useEffect(() => {
    if (!sizes.some((s) => s.Gpu === gpu)) setGpu(sizes[0]?.Gpu ?? 0);
  }, [gpuType, types]);
  useEffect(() => {
    if (!collection.some((c) => c.Cpu === cpu)) setCpu(collection[0]?.Cpu ?? 0);
  }, [gpuType, gpu, types]);
  useEffect(() => {
    if (!coll?.Memory.includes(mem)) setMem(coll?.Memory[0] ?? 0);
  }, [gpuType, gpu, cpu, types]);
  useEffect(() => {
    if (!fits.some((i) => i.CompShareImageId === image)) {
      setImage((fits.find((i) => i.ImageType === "System") ?? fits[0])?.CompShareImageId ?? "");
    }
  }, [gpuType, images]);

  useEffect(() => {
    if (!zoneName || !gpuType || !gpu || !cpu || !mem) return;
    let live = true;
    setPrice(undefined);
    const timer = setTimeout(() => {
      call<{ PriceDetail: PriceDetail[] }>("GetCompShareInstancePrice", {
        Region: region,
        Zone: zoneName,
        GpuType: gpuType,
        Gpu: gpu,
        Cpu: cpu,
        Memory: mem * 1024,
        ...(image ? { CompShareImageId: image } : {}),
      })
        .then((r) => live && setPrice(r.PriceDetail))
        .catch(() => live && setPrice(null));
    }, 150);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [zone, gpuType, gpu, cpu, mem, image]);

  const chosen = price?.find((p) => p.ChargeType === charge);
  const per = CHARGES.find((c) => c.type === charge)?.per ?? "perHour";
  const total = chosen ? chosen.Instance + chosen.Disks + chosen.SystemDisks + chosen.CompShareImage : 0;

  const submit = async (e: Event) => {
    e.preventDefault();
    if (!zoneName || busy) return;
    setBusy(true);
    setError("");
    try {
      const r = await call<{ UHostIds: string[] }>("CreateCompShareInstance", {
        Region: region,
        Zone: zoneName,
        GpuType: gpuType,
        GPU: gpu,
        CPU: cpu,
        Memory: mem * 1024,
        MachineType: "G",
        CompShareImageId: image,
        ChargeType: charge,
        ...(name.trim() ? { Name: name.trim() } : {}),
      });
      props.onCreated(r.UHostIds, name.trim() || r.UHostIds.join(", "));
    } catch (err) {
      setError(failureText(err));
      setBusy(false);
    }
  };

  return (
    <Dialog title={t("createTitle")} onClose={props.onClose} wide>
      <form class="create" onSubmit={(e) => void submit(e)}>
        <div class="grid">
          <Select label={t("zone")} value={zone} onChange={setZone} options={zones.map((z) => ({ value: `${z.Region}|${z.Zone}`, label: `${z.Describe} (${z.Zone})` }))} />
          <Select
            label={t("gpuType")}
            value={gpuType}
            onChange={setGpuType}
            options={types.map((x) => ({ value: x.Name, label: `${x.Name} · ${x.Description}${x.Status === "Normal" ? "" : ` (${t("soldOut")})`}`, disabled: x.Status !== "Normal" }))}
          />
          <Select label={t("gpuCount")} value={String(gpu)} onChange={(v) => setGpu(Number(v))} options={sizes.map((s) => ({ value: String(s.Gpu), label: String(s.Gpu) }))} />
          <Select label={t("cpu")} value={String(cpu)} onChange={(v) => setCpu(Number(v))} options={collection.map((c) => ({ value: String(c.Cpu), label: String(c.Cpu) }))} />
          <Select label={t("memory")} value={String(mem)} onChange={(v) => setMem(Number(v))} options={(coll?.Memory ?? []).map((m) => ({ value: String(m), label: String(m) }))} />
          <Select label={t("image")} value={image} onChange={setImage} options={fits.map((i) => ({ value: i.CompShareImageId, label: i.Name }))} />
          <Select label={t("chargeType")} value={charge} onChange={setCharge} options={CHARGES.map((c) => ({ value: c.type, label: `${c.type} (${t(c.per)})` }))} />
          <label class="field">
            <span>{t("name")}</span>
            <input value={name} maxLength={128} onInput={(e) => setName(e.currentTarget.value)} data-autofocus />
          </label>
        </div>
        <p class="price" role="status" aria-live="polite">
          <span>{t("price")}: </span>
          <strong>{price === undefined ? t("pricing") : chosen ? t("priceValue", { price: total.toFixed(2), per: t(per) }) : t("noPrice")}</strong>
        </p>
        {error && (
          <p role="alert" class="notice error">
            {error}
          </p>
        )}
        <div class="buttons">
          <button type="button" onClick={props.onClose}>
            {t("cancel")}
          </button>
          <button type="submit" class="primary" disabled={busy || !image || !mem}>
            {busy ? t("creating") : t("createButton")}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
