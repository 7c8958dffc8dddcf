// Pools: each pool's slots, how many are in use and how many tries wait for one; slots can be changed here.
import { useState } from "react";
import type { PoolView } from "../../../src/api/types";
import { api } from "../api";
import { Empty, ErrorBox, Loading } from "../components/ui";
import { useLoad } from "../hooks";
import { useLiveEvents } from "../live";
import { useThrottled } from "../hooks";

export function PoolsPage() {
  const pools = useLoad(async () => (await api.pools()).items, []);
  const refetch = useThrottled(pools.reload, 2000);
  useLiveEvents((event) => {
    if (event.kind === "task") refetch();
  });
  return (
    <div className="page">
      <div className="page-head">
        <h1>Pools</h1>
      </div>
      <ErrorBox error={pools.error} />
      {pools.loading && !pools.data ? <Loading /> : null}
      {pools.data && pools.data.length === 0 ? <Empty>No pools: every task uses the default pool.</Empty> : null}
      {pools.data && pools.data.length > 0 ? (
        <table className="table">
          <thead>
            <tr>
              <th>Pool</th>
              <th>Slots</th>
              <th>Used</th>
              <th>Queued</th>
              <th>Description</th>
            </tr>
          </thead>
          <tbody>
            {pools.data.map((pool) => (
              <PoolRow key={pool.name} pool={pool} onSaved={pools.reload} />
            ))}
          </tbody>
        </table>
      ) : null}
    </div>
  );
}

function PoolRow({ pool, onSaved }: { pool: PoolView; onSaved: () => void }) {
  const [slots, setSlots] = useState(String(pool.slots));
  const [error, setError] = useState<unknown>(null);
  const save = async () => {
    setError(null);
    try {
      await api.setPool(pool.name, Number(slots), pool.description ?? undefined);
      onSaved();
    } catch (failure) {
      setError(failure);
    }
  };
  const dirty = slots !== String(pool.slots);
  return (
    <tr data-pool={pool.name}>
      <td className="mono">{pool.name}</td>
      <td>
        <input className="slots" type="number" min={0} value={slots} onChange={(e) => setSlots(e.target.value)} aria-label={`Slots of ${pool.name}`} />
        {dirty ? (
          <button type="button" className="button small primary" onClick={() => void save()}>
            Save
          </button>
        ) : null}
        <ErrorBox error={error} />
      </td>
      <td>{pool.used}</td>
      <td>{pool.queued}</td>
      <td className="muted">{pool.description ?? "—"}</td>
    </tr>
  );
}
