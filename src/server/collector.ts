import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

type CollectOptions = { type: 'minor' } | { type: 'major'; flavor: 'regular' | 'last-resort' };
type Collect = (options: CollectOptions & { execution: 'sync' }) => void;

let collect: Collect | undefined;

/**
 * V8's collector, which Node only exposes to scripts started with --expose-gc. Getting it makes a
 * fresh V8 context, a few milliseconds: it is made once, on first use, and live update makes it
 * ahead of time (warm-up.ts) rather than in a client's downtime.
 */
export function collector(): Collect {
	if (collect === undefined) {
		setFlagsFromString('--expose-gc');
		collect = runInNewContext('gc') as Collect;
	}
	return collect;
}

/**
 * Empty the young generation now. A live update's successor does this just before requests are
 * held: the objects it makes while it restores then fill an empty nursery instead of triggering
 * scavenges of one already full, each a few milliseconds of downtime. (The predecessor does not:
 * it still serves then, and the collection would stall its clients just as long.)
 */
export function emptyNursery(): void {
	collector()({ type: 'minor', execution: 'sync' });
}
