"""A cell-transmission model of pedestrians on the flow network, with destinations.

People are counted per (zone, commodity); a commodity is "heading to zone d to stay" or "heading
to entry e to leave". Each step (default 10 s):
1. people who reached their destination start dwelling there (or leave the site at their exit);
2. arrivals enter at their entry zone, as far as it has room (the rest wait outside, counted);
3. dwelling people leave at rate 1/dwell and head for an exit;
4. every directed link i→j carries min(demand, send_i, receive_j) (Daganzo's rule), where demand
   is the people in i whose next hop is j and who could walk across i in one step (v(ρ_i)·dt/L_i),
   send is the link's capacity (a zone is far larger than a door: those who reach the door queue
   there at critical density, whatever the zone's average), receive follows Weidmann's diagram
   (capacity while j flows freely, q(ρ_j) once congested), both times the link width; the inflows
   into j together never exceed its room up to jam density. A link's flow is shared over
   commodities pro rata.
Nothing is created or lost: entered = left + inside + waiting, to rounding (tested).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import shortest_path

from csm.flow.fundamental import WEIDMANN, Weidmann
from csm.flow.network import FlowNetwork

DEFAULT_STEP_S = 10.0


@dataclass(frozen=True)
class FlowDemand:
    """Who arrives where and wants to go where, per slot of `slot_s` seconds.

    arrivals[slot, entry, destination]: persons arriving in that slot (zone indices);
    dwell_s[zone]: mean stay at a destination; exit_share[zone, entry] (or [slot, zone, entry]
    when entries open and close during the day): where those leaving go.
    """

    slot_s: float
    arrivals: NDArray[np.float64]
    dwell_s: NDArray[np.float64]
    exit_share: NDArray[np.float64]
    initial: NDArray[np.float64] | None = None  # persons dwelling per zone at the start


@dataclass(frozen=True)
class FlowResult:
    zone_ids: tuple[str, ...]
    record_s: float
    occupancy: NDArray[np.float64]  # [record, zone], persons at the end of each record interval
    dwelling: NDArray[np.float64]  # [record, zone], of whom staying there (not passing through)
    link_flow: NDArray[np.float64]  # [directed link], persons carried over the whole run
    peak_specific_flow: NDArray[np.float64]  # [directed link], max persons/(m·s) in any step
    directed_links: tuple[tuple[int, int, float], ...]  # (from, to, width_m)
    entered: float
    left: float
    inside: float
    waiting: float
    steps: int

    @property
    def imbalance(self) -> float:
        """entered − left − inside − waiting: zero when people are conserved."""
        return self.entered - self.left - self.inside - self.waiting


def next_hops(network: FlowNetwork) -> NDArray[np.int64]:
    """next_hop[i, d]: the neighbour of i on a shortest walk to d (−1 when unreachable or i = d)."""
    n = len(network.zone_ids)
    if not network.links:
        return np.full((n, n), -1, dtype=np.int64)
    rows = [lk.a for lk in network.links] + [lk.b for lk in network.links]
    cols = [lk.b for lk in network.links] + [lk.a for lk in network.links]
    lengths = [max(lk.length_m, 1.0) for lk in network.links] * 2
    graph = csr_matrix((lengths, (rows, cols)), shape=(n, n))
    _, pred = shortest_path(graph, directed=False, return_predecessors=True)
    hops = pred.T.astype(np.int64)  # undirected: the predecessor of i on d's tree is i's next hop
    hops[hops < 0] = -1
    return hops


class FlowModel:
    """Runs a demand on a network; build once, run many demands (baseline and scenario)."""

    def __init__(self, network: FlowNetwork, diagram: Weidmann = WEIDMANN,
                 capacity_p_per_m_s: float | None = None, step_s: float = DEFAULT_STEP_S) -> None:
        self.network = network
        self.diagram = diagram
        self.capacity = diagram.capacity if capacity_p_per_m_s is None else capacity_p_per_m_s
        self.step_s = step_s
        self.hops = next_hops(network)
        self.directed = tuple(
            [(lk.a, lk.b, lk.width_m) for lk in network.links] + [(lk.b, lk.a, lk.width_m) for lk in network.links]
        )
        self._link_index = {(a, b): i for i, (a, b, _) in enumerate(self.directed)}

    def run(self, demand: FlowDemand, record_s: float = 900.0) -> FlowResult:
        net, dt = self.network, self.step_s
        z_count = len(net.zone_ids)
        stay_nodes = np.flatnonzero(demand.arrivals.sum(axis=(0, 1)) > 0)
        shares = demand.exit_share if demand.exit_share.ndim == 3 else demand.exit_share[None, :, :]
        exit_nodes = np.flatnonzero(shares.sum(axis=(0, 1)) > 0)
        nodes = np.concatenate([stay_nodes, exit_nodes])
        n_stay, k_count = len(stay_nodes), len(stay_nodes) + len(exit_nodes)
        stay_col = np.full(z_count, -1)
        stay_col[stay_nodes] = np.arange(n_stay)

        # Per (zone, commodity): the directed link to take, or −1 (at destination / no way on).
        hop = self.hops[:, nodes]
        link_of = np.full((z_count, k_count), -1, dtype=np.int64)
        for (i, k), j in np.ndenumerate(hop):
            if j >= 0:
                link_of[i, k] = self._link_index[(i, int(j))]
        move_mask = link_of >= 0
        move_link = link_of[move_mask]
        move_flat = np.flatnonzero(move_mask.ravel())
        move_zone = move_flat // k_count
        move_col = move_flat % k_count
        to = np.array([d[1] for d in self.directed], dtype=np.int64)
        width = np.array([d[2] for d in self.directed], dtype=float)
        target_flat = to[move_link] * k_count + move_col if len(move_link) else np.zeros(0, dtype=np.int64)
        n_links = len(self.directed)
        width_dt = width * dt
        rho_c = self.diagram.critical_density
        cap_scale = self.capacity / self.diagram.capacity

        n = np.zeros((z_count, k_count))
        staying = np.zeros(z_count)
        if demand.initial is not None:
            staying += demand.initial
        waiting = np.zeros((z_count, k_count))
        entered = float(staying.sum())
        left = 0.0
        leave_shares = shares[:, :, exit_nodes]
        leave_shares = leave_shares / np.maximum(leave_shares.sum(axis=2, keepdims=True), 1e-12)
        p_leave = 1.0 - np.exp(-dt / np.maximum(demand.dwell_s, dt))
        room_cap = self.diagram.rho_max * net.area_m2
        arr_idx_s, arr_idx_d = np.nonzero(demand.arrivals.sum(axis=0) > 0)
        arr_flat = arr_idx_s * k_count + stay_col[arr_idx_d]  # unique: one (entry, destination) each

        total_s = demand.arrivals.shape[0] * demand.slot_s
        steps = round(total_s / dt)
        per_record = max(1, round(record_s / dt))
        occupancy = np.zeros((steps // per_record, z_count))
        dwelling = np.zeros_like(occupancy)
        link_flow = np.zeros(n_links)
        peak_q = np.zeros(n_links)
        stay_rows, exit_rows = stay_nodes, exit_nodes
        stay_range, exit_range = np.arange(n_stay), np.arange(n_stay, k_count)

        for step in range(steps):
            # 1. arrived: start dwelling, or leave the site at the exit
            staying[stay_rows] += n[stay_rows, stay_range]
            n[stay_rows, stay_range] = 0.0
            left += float(n[exit_rows, exit_range].sum())
            n[exit_rows, exit_range] = 0.0
            # 2. arrivals (this step's share of the slot), limited by room at the entry
            slot = min(int(step * dt // demand.slot_s), demand.arrivals.shape[0] - 1)
            new = demand.arrivals[slot, arr_idx_s, arr_idx_d] * (dt / demand.slot_s)
            entered += float(new.sum())
            waiting.ravel()[arr_flat] += new
            inside = n.sum(axis=1) + staying
            queued = waiting.sum(axis=1)
            room = np.maximum(room_cap - inside, 0.0)
            admit = np.where(queued > 0, np.minimum(1.0, room / np.maximum(queued, 1e-12)), 0.0)
            n += waiting * admit[:, None]
            waiting *= (1.0 - admit)[:, None]
            # 3. dwell ends
            going = staying * p_leave
            staying -= going
            n[:, exit_range] += going[:, None] * leave_shares[min(slot, len(leave_shares) - 1)]
            # 4. movement over links
            inside = n.sum(axis=1) + staying
            rho = inside / net.area_m2
            speed = self.diagram.speed(rho)
            q = rho * speed * cap_scale
            receive_z = np.where(rho < rho_c, self.capacity, q)
            walk_frac = np.minimum(1.0, speed * dt / net.travel_length_m)
            ready = n.ravel()[move_flat] * walk_frac[move_zone]
            demand_l = np.bincount(move_link, weights=ready, minlength=n_links)
            send = self.capacity * width_dt
            receive = receive_z[to] * width_dt
            flow = np.minimum(demand_l, np.minimum(send, receive))
            inflow = np.bincount(to, weights=flow, minlength=z_count)
            room = np.maximum(room_cap - inside, 0.0)
            flow *= np.minimum(1.0, room / np.maximum(inflow, 1e-12))[to]
            frac = np.divide(flow, demand_l, out=np.zeros(n_links), where=demand_l > 0)
            moved = ready * frac[move_link]
            flat = n.ravel()
            flat[move_flat] -= moved
            flat += np.bincount(target_flat, weights=moved, minlength=flat.size)
            link_flow += flow
            np.maximum(peak_q, flow / width_dt, out=peak_q)
            if (step + 1) % per_record == 0 and (step + 1) // per_record <= len(occupancy):
                occupancy[(step + 1) // per_record - 1] = n.sum(axis=1) + staying
                dwelling[(step + 1) // per_record - 1] = staying

        inside_total = float(n.sum() + staying.sum())
        return FlowResult(
            zone_ids=net.zone_ids,
            record_s=per_record * dt,
            occupancy=occupancy,
            dwelling=dwelling,
            link_flow=link_flow,
            peak_specific_flow=peak_q,
            directed_links=self.directed,
            entered=entered,
            left=left,
            inside=inside_total,
            waiting=float(waiting.sum()),
            steps=steps,
        )
