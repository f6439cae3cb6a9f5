"""A cell-transmission model of pedestrians on the flow network, with destinations.

People are counted per (zone, commodity); a commodity is "heading to zone d to stay" or "heading
to entry e to leave". Each step (default 10 s):
1. people who reached their destination start dwelling there (or leave the site at their exit);
2. arrivals enter at their entry zone, as far as it has room (the rest wait outside, counted);
3. dwelling people leave at rate 1/dwell and head for an exit;
4. every directed link i→j carries min(demand, send_i, receive_j) (Daganzo's rule), where demand
   is the people in i whose next hop is j (the quickest way on, re-chosen every 5 minutes from
   walking times at current speeds and the queues at links) and who could walk across i in one step (v(ρ_i)·dt/L_i),
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
DEFAULT_REROUTE_S = 300.0  # people re-choose their way every 5 minutes, by walking time and queues
MIN_ROUTE_SPEED = 0.05  # m/s: a jammed zone is slow to cross, not impassable, for route choice


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
    occupancy: NDArray[np.float64]  # [record, zone], persons at the start of each record interval
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
                 capacity_p_per_m_s: float | None = None, step_s: float = DEFAULT_STEP_S,
                 reroute_s: float = DEFAULT_REROUTE_S) -> None:
        self.network = network
        self.diagram = diagram
        self.capacity = diagram.capacity if capacity_p_per_m_s is None else capacity_p_per_m_s
        self.step_s = step_s
        self.directed = tuple(
            [(lk.a, lk.b, lk.width_m) for lk in network.links] + [(lk.b, lk.a, lk.width_m) for lk in network.links]
        )
        z = len(network.zone_ids)
        self._frm = np.array([d[0] for d in self.directed], dtype=np.int64)
        self._to = np.array([d[1] for d in self.directed], dtype=np.int64)
        self._width = np.array([d[2] for d in self.directed], dtype=float)
        self._length = np.array([max(lk.length_m, 1.0) for lk in network.links] * 2)
        self._link_id = np.full((z, z), -1, dtype=np.int64)
        self._link_id[self._frm, self._to] = np.arange(len(self.directed))
        self.reroute_s = reroute_s

    def _routes(self, nodes: NDArray[np.int64], speed: NDArray[np.float64], backlog: NDArray[np.float64]
                ) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
        """Quickest next link per (zone, commodity): walking time at the zone's current speed plus the
        wait in the queue at the link. Returns the moving cells' link, flat index, zone and target."""
        z, k = len(self.network.zone_ids), len(nodes)
        if not self.directed:
            empty = np.zeros(0, dtype=np.int64)
            return empty, empty, empty, empty
        walk = self._length / np.maximum(speed[self._frm], MIN_ROUTE_SPEED)
        wait = backlog / (self.capacity * self._width)
        reverse = csr_matrix((walk + wait + 1e-6, (self._to, self._frm)), shape=(z, z))
        _, pred = shortest_path(reverse, directed=True, indices=nodes, return_predecessors=True)
        hop = pred.T  # on the reversed tree from d, i's predecessor is i's next hop toward d
        link_of = np.where(hop >= 0, self._link_id[np.arange(z)[:, None], np.maximum(hop, 0)], -1)
        mask = link_of >= 0
        move_link = link_of[mask]
        move_flat = np.flatnonzero(mask.ravel())
        move_zone = move_flat // k
        target_flat = self._to[move_link] * k + move_flat % k
        return move_link, move_flat, move_zone, target_flat

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

        to = self._to
        width = self._width
        n_links = len(self.directed)
        width_dt = width * dt
        rho_c = self.diagram.critical_density
        cap_scale = self.capacity / self.diagram.capacity

        n = np.zeros((z_count, k_count))
        staying = np.zeros(z_count)
        if demand.initial is not None:
            staying += demand.initial
        entered = float(staying.sum())
        left = 0.0
        leave_shares = shares[:, :, exit_nodes]
        leave_shares = leave_shares / np.maximum(leave_shares.sum(axis=2, keepdims=True), 1e-12)
        p_leave = 1.0 - np.exp(-dt / np.maximum(demand.dwell_s, dt))
        room_cap = self.diagram.rho_max * net.area_m2
        arr_idx_s, arr_idx_d = np.nonzero(demand.arrivals.sum(axis=0) > 0)
        arr_flat = arr_idx_s * k_count + stay_col[arr_idx_d]  # unique: one (entry, destination) each
        per_step = demand.arrivals[:, arr_idx_s, arr_idx_d] * (dt / demand.slot_s)  # [slot, pair]
        per_step_total = per_step.sum(axis=1)
        waiting = np.zeros(len(arr_flat))  # per (entry, destination) pair: arrived, no room yet
        inv_area = 1.0 / net.area_m2
        walk_scale = dt / net.travel_length_m
        send = self.capacity * width_dt
        n_slots = demand.arrivals.shape[0]

        total_s = demand.arrivals.shape[0] * demand.slot_s
        steps = round(total_s / dt)
        per_record = max(1, round(record_s / dt))
        reroute_every = max(1, round(self.reroute_s / dt))
        occupancy = np.zeros((steps // per_record, z_count))
        dwelling = np.zeros_like(occupancy)
        link_flow = np.zeros(n_links)
        peak_q = np.zeros(n_links)
        stay_rows, exit_rows = stay_nodes, exit_nodes
        stay_range, exit_range = np.arange(n_stay), np.arange(n_stay, k_count)

        backlog: NDArray[np.float64] = np.zeros(n_links)
        speed: NDArray[np.float64] = np.full(z_count, self.diagram.v0)
        for step in range(steps):
            if step % reroute_every == 0:
                move_link, move_flat, move_zone, target_flat = self._routes(nodes, speed, backlog)
            if step % per_record == 0 and step // per_record < len(occupancy):
                occupancy[step // per_record] = n.sum(axis=1) + staying
                dwelling[step // per_record] = staying
            # 1. arrived: start dwelling, or leave the site at the exit
            staying[stay_rows] += n[stay_rows, stay_range]
            n[stay_rows, stay_range] = 0.0
            left += float(n[exit_rows, exit_range].sum())
            n[exit_rows, exit_range] = 0.0
            # 2. arrivals (this step's share of the slot), limited by room at the entry
            slot = min(int(step * dt // demand.slot_s), n_slots - 1)
            entered += per_step_total[slot]
            waiting += per_step[slot]
            inside = n.sum(axis=1) + staying
            queued = np.bincount(arr_idx_s, weights=waiting, minlength=z_count)
            room = np.maximum(room_cap - inside, 0.0)
            admitted = waiting * np.minimum(1.0, room / np.maximum(queued, 1e-12))[arr_idx_s]
            n.ravel()[arr_flat] += admitted
            waiting -= admitted
            inside += np.bincount(arr_idx_s, weights=admitted, minlength=z_count)
            # 3. dwell ends
            going = staying * p_leave
            staying -= going
            n[:, exit_range] += going[:, None] * leave_shares[min(slot, len(leave_shares) - 1)]
            # 4. movement over links (dwell ends moved people within their zone: inside holds)
            rho = inside * inv_area
            speed = self.diagram.speed(rho)  # also what the next re-routing sees
            receive_z = np.where(rho < rho_c, self.capacity, rho * speed * cap_scale)
            walk_frac = np.minimum(1.0, speed * walk_scale)
            ready = n.ravel()[move_flat] * walk_frac[move_zone]
            demand_l = np.bincount(move_link, weights=ready, minlength=n_links)
            receive = receive_z[to] * width_dt
            flow = np.minimum(demand_l, np.minimum(send, receive))
            backlog = np.asarray(demand_l - flow, dtype=float)
            inflow = np.bincount(to, weights=flow, minlength=z_count)
            room = np.maximum(room_cap - inside, 0.0)
            flow *= np.minimum(1.0, room / np.maximum(inflow, 1e-12))[to]
            frac = flow / np.maximum(demand_l, 1e-12)
            moved = ready * frac[move_link]
            flat = n.ravel()
            flat[move_flat] -= moved
            flat += np.bincount(target_flat, weights=moved, minlength=flat.size)
            link_flow += flow
            np.maximum(peak_q, flow, out=peak_q)

        peak_q /= width_dt
        inside_total = float(n.sum() + staying.sum())
        return FlowResult(
            zone_ids=net.zone_ids,
            record_s=per_record * dt,
            occupancy=occupancy,
            dwelling=dwelling,
            link_flow=link_flow,
            peak_specific_flow=peak_q,
            directed_links=self.directed,
            entered=float(entered),
            left=left,
            inside=inside_total,
            waiting=float(waiting.sum()),
            steps=steps,
        )
