import { pathDepth } from './path.ts';
import { type Caller, canRead, type Perms, type StaleCheck } from './perms.ts';

/** Something that receives watch events: a connection, seen from the store. */
export interface Watcher {
	readonly caller: Caller;
	/** Queue one WATCH_EVENT for this watcher (path as the watcher should see it). */
	deliverEvent(path: string, token: string): void;
}

export interface Watch {
	readonly watcher: Watcher;
	/** Absolute node path, or a special `@` path. */
	readonly path: string;
	readonly token: string;
	/** How many levels below `path` still match; -1 for any. */
	readonly depth: number;
	/** The watcher's home when it gave a relative path: events are then reported relative to it. */
	readonly relativeTo: string | undefined;
	/** Creation order, so that one event reaches one watcher's watches in the order they were set. */
	readonly seq: number;
}

/** What changed, with the perms that decide who may hear about it. */
export interface NodeEvent {
	path: string;
	/** Only watches set exactly on `path` match (a node removed below the removal's root). */
	exact: boolean;
	/** The node's perms (before removal, for a removed node). */
	perms: Perms | undefined;
	/** The parent's perms: a watcher that may read the parent hears of its children. */
	parentPerms: Perms | undefined;
	/** For SET_PERMS: the perms before the change, so that a watcher losing access still hears. */
	oldPerms?: Perms | undefined;
}

/** The path a watch's owner sees for an event: relative when the watch was set relative. */
export function reportedPath(watch: Watch, eventPath: string): string {
	const base = watch.relativeTo;
	if (base === undefined) return eventPath;
	if (eventPath.length === base.length) return '';
	return eventPath.slice(base.length + 1);
}

/**
 * The watches of every connection, indexed by watched path, so that matching an event costs one
 * Map lookup per element of the event's path, never a scan of all watches.
 */
export class WatchIndex {
	private readonly byPath = new Map<string, Set<Watch>>();
	private seq = 0;
	private total = 0;
	private readonly isStale: StaleCheck | undefined;

	constructor(isStale?: StaleCheck) {
		this.isStale = isStale;
	}

	get size(): number {
		return this.total;
	}

	nextSeq(): number {
		return ++this.seq;
	}

	add(watch: Watch): void {
		let set = this.byPath.get(watch.path);
		if (set === undefined) {
			set = new Set();
			this.byPath.set(watch.path, set);
		}
		set.add(watch);
		this.total++;
	}

	remove(watch: Watch): void {
		const set = this.byPath.get(watch.path);
		if (set?.delete(watch)) {
			this.total--;
			if (set.size === 0) this.byPath.delete(watch.path);
		}
	}

	/** Every watch set on exactly this path (for special events and for tests). */
	watchesOn(path: string): ReadonlySet<Watch> | undefined {
		return this.byPath.get(path);
	}

	/**
	 * Deliver a node event to every matching watch whose owner may know of it (C xenstored's
	 * watch_permitted: the old perms, the node's perms or its parent's grant read).
	 */
	fire(event: NodeEvent): void {
		if (this.total === 0) return;
		const matched: Watch[] = [];
		const path = event.path;
		if (event.exact) {
			this.collect(path, -1, matched);
		} else {
			const depth = pathDepth(path);
			this.collect('/', depth, matched);
			for (let i = path.indexOf('/', 1); i > 0; i = path.indexOf('/', i + 1)) {
				const ancestor = path.slice(0, i);
				this.collect(ancestor, depth - pathDepth(ancestor), matched);
			}
			if (path !== '/') this.collect(path, 0, matched);
		}
		if (matched.length === 0) return;
		if (matched.length > 1) matched.sort((a, b) => a.seq - b.seq);
		for (const watch of matched) {
			if (!permitted(watch.watcher.caller, event, this.isStale)) continue;
			watch.watcher.deliverEvent(reportedPath(watch, path), watch.token);
		}
	}

	/**
	 * A special event (`@introduceDomain`, `@releaseDomain`) about `domid`: watches set exactly on
	 * the name without a depth hear the bare name; watches on `name/<domid>`, and watches on the name
	 * with a depth of 1 or more, hear `name/<domid>` (as in current C xenstored, a depth of 0 hears
	 * nothing). Only callers that may read the special node hear either.
	 */
	fireSpecial(name: string, domid: number, perms: Perms): void {
		if (this.total === 0) return;
		const matched: Array<[Watch, string]> = [];
		const withDomid = `${name}/${domid}`;
		for (const w of this.byPath.get(name) ?? []) {
			if (w.depth !== 0) matched.push([w, w.depth < 0 ? name : withDomid]);
		}
		for (const w of this.byPath.get(withDomid) ?? []) matched.push([w, withDomid]);
		matched.sort((a, b) => a[0].seq - b[0].seq);
		for (const [w, path] of matched) {
			// Stale entries count for nothing here either: a new domain reusing an id hears nothing.
			if (canRead(w.watcher.caller, perms, this.isStale)) w.watcher.deliverEvent(path, w.token);
		}
	}

	private collect(path: string, levelsBelow: number, out: Watch[]): void {
		const set = this.byPath.get(path);
		if (set === undefined) return;
		for (const w of set) {
			if (levelsBelow < 0 || w.depth < 0 || levelsBelow <= w.depth) out.push(w);
		}
	}

	/** All watches, in creation order (for live update and CONTROL reports). */
	all(): Watch[] {
		const out: Watch[] = [];
		for (const set of this.byPath.values()) for (const w of set) out.push(w);
		return out.sort((a, b) => a.seq - b.seq);
	}
}

function permitted(caller: Caller, event: NodeEvent, isStale: StaleCheck | undefined): boolean {
	if (caller.privileged) return true;
	if (event.oldPerms !== undefined && canRead(caller, event.oldPerms, isStale)) return true;
	if (event.perms !== undefined && canRead(caller, event.perms, isStale)) return true;
	return event.parentPerms !== undefined && canRead(caller, event.parentPerms, isStale);
}
