// The classic daily ETL: extract one day of orders, transform them into per-country revenue, load the
// result into a local "lake" (WEIR_HOME/lake). Run it: npx weir run examples/etl_daily.ts --logical-date 2025-09-03
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { pipeline } from "weir";

interface Order {
  id: string;
  country: string;
  amountCents: number;
}

/** Deterministic synthetic orders for a day, standing in for a source database. */
function ordersFor(day: Date): Order[] {
  const countries = ["DE", "FR", "NL", "US", "JP"];
  let seed = day.getUTCFullYear() * 10_000 + (day.getUTCMonth() + 1) * 100 + day.getUTCDate();
  const next = (): number => (seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648) / 2_147_483_648;
  return Array.from({ length: 250 }, (_, i) => ({
    id: `${day.toISOString().slice(0, 10)}-${i}`,
    country: countries[Math.floor(next() * countries.length)] ?? "DE",
    amountCents: 500 + Math.floor(next() * 20_000),
  }));
}

export default pipeline(
  {
    id: "etl_daily",
    description: "Daily orders → revenue per country, loaded into the lake",
    schedule: "@daily",
    start: "2025-09-01",
    catchup: false,
    tags: ["demo", "etl"],
    defaults: { retries: 2, retryDelay: "10s" },
  },
  (p) => {
    const extract = p.task("extract", async (ctx) => {
      const orders = ordersFor(ctx.interval.start);
      ctx.log.info("extracted orders", { count: orders.length, day: ctx.interval.start.toISOString().slice(0, 10) });
      return orders;
    });

    const transform = p.task("transform", { needs: { extract } }, async (ctx, { extract }) => {
      const revenue = new Map<string, number>();
      for (const order of extract) revenue.set(order.country, (revenue.get(order.country) ?? 0) + order.amountCents);
      const rows = [...revenue].map(([country, cents]) => ({ country, revenue: cents / 100 })).sort((a, b) => b.revenue - a.revenue);
      ctx.log.info("aggregated revenue", { countries: rows.length });
      return rows;
    });

    p.task("load", { needs: { transform }, timeout: "1m" }, async (ctx, { transform }) => {
      const dir = join(process.env.WEIR_HOME ?? ".weir", "lake", "revenue_by_country");
      await mkdir(dir, { recursive: true });
      const path = join(dir, `${ctx.interval.start.toISOString().slice(0, 10)}.json`);
      await writeFile(path, JSON.stringify(transform, null, 2));
      console.log(`wrote ${transform.length} rows to ${path}`);
      return { path, rows: transform.length };
    });
  },
);
