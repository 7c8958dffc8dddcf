// A shop's daily pipeline: extract CRM customers and orders in parallel, join and aggregate them with a
// Spark-style shell job, load the result into the lake, update features, and train a spend model.
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { pipeline } from "weir";

const home = (): string => process.env.WEIR_HOME ?? ".weir";
const day = (d: Date): string => d.toISOString().slice(0, 10);
const staging = (d: Date): string => join(home(), "staging", "shop_daily", day(d));

export default pipeline(
  {
    id: "shop_daily",
    description: "CRM + orders → lake → features → spend model",
    schedule: "0 3 * * *",
    timezone: "Europe/Berlin",
    start: "2025-09-01",
    catchup: false,
    tags: ["demo", "shop"],
    defaults: { retries: 3, retryDelay: "5s", backoff: "exponential", maxRetryDelay: "2m", timeout: "10m" },
  },
  (p) => {
    const extractCrm = p.task("extract_crm", async (ctx) => {
      const dir = staging(ctx.interval.start);
      await mkdir(dir, { recursive: true });
      const rows = Array.from({ length: 50 }, (_, i) => `c${i},${["gold", "silver", "bronze"][i % 3]}`);
      await writeFile(join(dir, "customers.csv"), `${rows.join("\n")}\n`);
      return { customers: rows.length };
    });

    const extractOrders = p.task("extract_orders", async (ctx) => {
      const dir = staging(ctx.interval.start);
      await mkdir(dir, { recursive: true });
      const rows = Array.from({ length: 400 }, (_, i) => `o${i},c${(i * 7) % 50},${(i % 13) + 1}.50`);
      await writeFile(join(dir, "orders.csv"), `${rows.join("\n")}\n`);
      return { orders: rows.length };
    });

    // The heavy transformation runs as a command, as a spark-submit would; awk joins and aggregates here.
    const transform = p.shell(
      "transform",
      { after: [extractCrm, extractOrders], queue: "default" },
      `set -eu
dir="$WEIR_HOME/staging/shop_daily/$(echo "$WEIR_INTERVAL_START" | cut -c1-10)"
echo "spark-style job: joining $(wc -l < "$dir/orders.csv") orders with $(wc -l < "$dir/customers.csv") customers"
awk -F, 'NR==FNR { tier[$1]=$2; next } { spend[tier[$2]] += $3 } END { for (t in spend) printf "%s,%.2f\\n", t, spend[t] }' \\
  "$dir/customers.csv" "$dir/orders.csv" | sort > "$dir/spend_by_tier.csv"
echo "$dir/spend_by_tier.csv"`,
    );

    const loadLake = p.task("load_lake", { needs: { transform } }, async (ctx, { transform }) => {
      const csv = await readFile(transform, "utf8");
      const rows = csv.trim().split("\n").map((line) => {
        const [tier, spend] = line.split(",");
        return { tier: tier ?? "", spend: Number(spend) };
      });
      const dir = join(home(), "lake", "spend_by_tier");
      await mkdir(dir, { recursive: true });
      await writeFile(join(dir, `${day(ctx.interval.start)}.json`), JSON.stringify(rows));
      return rows;
    });

    const features = p.task("update_features", { needs: { loadLake } }, async (_ctx, { loadLake }) => {
      const total = loadLake.reduce((sum, r) => sum + r.spend, 0);
      return loadLake.map((r) => ({ tier: r.tier, share: total === 0 ? 0 : r.spend / total }));
    });

    p.task("train", { needs: { features } }, async (ctx, { features }) => {
      const top = [...features].sort((a, b) => b.share - a.share)[0];
      ctx.log.info("trained spend model", { topTier: top?.tier, share: top?.share });
      return { topTier: top?.tier ?? null, tiers: features.length };
    });
  },
);
