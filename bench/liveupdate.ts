/**
 * PLACEHOLDER, NOT MEASURED: live update downtime at 200,000 nodes.
 *
 * The live-update work fills this in: populate 200,000 nodes (xsload populate-flat or -tree),
 * keep a client issuing reads, ask the daemon for a live update (C xenstored and oxenstored:
 * `xenstore-control live-update`; tsxenstored: its own equivalent), and report the longest time a
 * request waited for its answer across the update, plus the whole update's duration. Until then
 * the runner skips this workload and the report says it was not measured; no figure is invented.
 */
import type { Workload } from './workloads.ts';

export const liveUpdateDowntime: Workload = {
	id: 'liveupdate',
	family: 'liveupdate',
	title: 'live update downtime at 200,000 nodes',
	big: true,
	targets: ['c', 'ocaml', 'ts'],
	placeholder:
		'not measured yet: placeholder hook in bench/liveupdate.ts, to be filled in by the live-update work',
	run() {
		return Promise.reject(new Error('live update downtime is not measured yet (bench/liveupdate.ts)'));
	},
};
