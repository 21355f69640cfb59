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
 * A watched path, or a branching point between watched paths, in a tree whose edges are labelled
 * with one or more path elements (a radix tree): so the tree holds at most two entries per watched
 * path and no more text than the paths themselves, however deep a guest's watches go.
 */
class WatchedPath {
	watches: Set<Watch> | undefined = undefined;
	/** The entries below, by the first element of their label. */
	below: Map<string, WatchedPath> | undefined = undefined;
	up: WatchedPath | undefined;
	/** The elements from `up` to here, joined by '/': `a` or `a/b/c`; empty only for the root. */
	label: string;
	/** How many elements `label` holds. */
	levels: number;

	constructor(up: WatchedPath | undefined, label: string) {
		this.up = up;
		this.label = label;
		this.levels = elementCount(label);
	}

	relabel(label: string): void {
		this.label = label;
		this.levels = elementCount(label);
	}
}

/**
 * The watches of every connection, in a radix tree of their watched paths (and a map of the special
 * `@` names), so that matching an event walks the event's path only as far as someone watches at or
 * below, one Map lookup per branching, never a scan of all watches.
 */
export class WatchIndex {
	private readonly root = new WatchedPath(undefined, '');
	private readonly specials = new Map<string, Set<Watch>>();
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
		let set: Set<Watch> | undefined;
		if (isSpecial(watch.path)) {
			set = this.specials.get(watch.path);
			if (set === undefined) {
				set = new Set();
				this.specials.set(watch.path, set);
			}
		} else {
			const at = this.make(watch.path);
			at.watches ??= new Set();
			set = at.watches;
		}
		set.add(watch);
		this.total++;
	}

	remove(watch: Watch): void {
		if (isSpecial(watch.path)) {
			const set = this.specials.get(watch.path);
			if (!set?.delete(watch)) return;
			if (set.size === 0) this.specials.delete(watch.path);
		} else {
			const at = this.find(watch.path);
			if (!at?.watches?.delete(watch)) return;
			if (at.watches.size === 0) {
				at.watches = undefined;
				this.tidy(at);
			}
		}
		this.total--;
	}

	/** Every watch set on exactly this path (for special events and for tests). */
	watchesOn(path: string): ReadonlySet<Watch> | undefined {
		return isSpecial(path) ? this.specials.get(path) : this.find(path)?.watches;
	}

	/**
	 * Deliver a node event to every matching watch whose owner may know of it (C xenstored's
	 * watch_permitted: the old perms, the node's perms or its parent's grant read).
	 */
	fire(event: NodeEvent): void {
		const matched = this.matching(event.path, event.exact);
		if (matched !== undefined) this.deliver(matched, event);
	}

	/**
	 * The watches an event at `path` reaches, in the order they were set; undefined for none. With
	 * `exact`, only those set on `path` itself; otherwise those on it and on its ancestors whose
	 * depth reaches it. Split from `deliver` so that a caller can skip working out the event's perms
	 * when no one listens.
	 */
	matching(path: string, exact: boolean): Watch[] | undefined {
		if (this.total === 0) return undefined;
		const out: Watch[] = [];
		const depth = exact ? -1 : pathDepth(path);
		let at: WatchedPath | undefined = this.root;
		let level = 0;
		for (let start = 1; ; ) {
			if (start >= path.length) {
				collect(at, exact ? -1 : 0, out);
				break;
			}
			if (!exact) collect(at, depth - level, out);
			at = next(at, path, start);
			if (at === undefined) break;
			level += at.levels;
			start += at.label.length + 1;
		}
		if (out.length === 0) return undefined;
		if (out.length > 1) out.sort((a, b) => a.seq - b.seq);
		return out;
	}

	/** Deliver `event` to the `matched` watches whose owners may know of it. */
	deliver(matched: readonly Watch[], event: NodeEvent): void {
		for (const watch of matched) {
			if (!permitted(watch.watcher.caller, event, this.isStale)) continue;
			watch.watcher.deliverEvent(reportedPath(watch, event.path), watch.token);
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
		for (const w of this.specials.get(name) ?? []) {
			if (w.depth !== 0) matched.push([w, w.depth < 0 ? name : withDomid]);
		}
		for (const w of this.specials.get(withDomid) ?? []) matched.push([w, withDomid]);
		matched.sort((a, b) => a[0].seq - b[0].seq);
		for (const [w, path] of matched) {
			// Stale entries count for nothing here either: a new domain reusing an id hears nothing.
			if (canRead(w.watcher.caller, perms, this.isStale)) w.watcher.deliverEvent(path, w.token);
		}
	}

	/** All watches, in creation order (for live update and CONTROL reports). */
	all(): Watch[] {
		const out: Watch[] = [];
		for (const set of this.specials.values()) for (const w of set) out.push(w);
		// A stack, not recursion: a watched path may have over a thousand elements.
		const stack: WatchedPath[] = [this.root];
		for (let at = stack.pop(); at !== undefined; at = stack.pop()) {
			if (at.watches !== undefined) for (const w of at.watches) out.push(w);
			if (at.below !== undefined) for (const next of at.below.values()) stack.push(next);
		}
		return out.sort((a, b) => a.seq - b.seq);
	}

	/** The entry for exactly this absolute path, if the tree has one. */
	private find(path: string): WatchedPath | undefined {
		let at: WatchedPath | undefined = this.root;
		let start = 1;
		while (at !== undefined && start < path.length) {
			at = next(at, path, start);
			if (at !== undefined) start += at.label.length + 1;
		}
		return at;
	}

	/** The entry for this absolute path, splitting a label or adding an entry as needed. */
	private make(path: string): WatchedPath {
		let at = this.root;
		for (let start = 1; start < path.length; ) {
			const end = elementEnd(path, start);
			const first = path.slice(start, end);
			const child = at.below?.get(first);
			if (child === undefined) {
				const added = new WatchedPath(at, path.slice(start));
				at.below ??= new Map();
				at.below.set(first, added);
				return added;
			}
			const shared = sharedElements(child.label, path, start);
			if (shared < child.label.length) {
				// The path leaves the label part way: a new entry where they part takes the child.
				const split = new WatchedPath(at, child.label.slice(0, shared));
				child.relabel(child.label.slice(shared + 1));
				child.up = split;
				split.below = new Map([[firstElement(child.label), child]]);
				at.below!.set(first, split);
				at = split;
			} else {
				at = child;
			}
			start += shared + 1;
		}
		return at;
	}

	/** After a removal: drop an entry that leads nowhere, and join one that no longer branches. */
	private tidy(at: WatchedPath): void {
		const up = at.up;
		if (up === undefined || at.watches !== undefined) return;
		if (at.below === undefined) {
			up.below!.delete(firstElement(at.label));
			if (up.below!.size === 0) up.below = undefined;
			this.tidy(up);
		} else if (at.below.size === 1) {
			const [only] = at.below.values();
			only!.relabel(`${at.label}/${only!.label}`);
			only!.up = up;
			up.below!.set(firstElement(at.label), only!);
		}
	}
}

/** The entry below `at` whose label the path continues with at `start`, if any. */
function next(at: WatchedPath, path: string, start: number): WatchedPath | undefined {
	const below = at.below;
	if (below === undefined) return undefined;
	const child = below.get(path.slice(start, elementEnd(path, start)));
	if (child === undefined) return undefined;
	const label = child.label;
	const end = start + label.length;
	if (end < path.length && path.charCodeAt(end) !== SLASH) return undefined;
	return path.startsWith(label, start) ? child : undefined;
}

const SLASH = 47;

function elementEnd(path: string, start: number): number {
	const slash = path.indexOf('/', start);
	return slash < 0 ? path.length : slash;
}

function elementCount(label: string): number {
	return label === '' ? 0 : pathDepth(`/${label}`);
}

function firstElement(label: string): string {
	const slash = label.indexOf('/');
	return slash < 0 ? label : label.slice(0, slash);
}

/** How much of `label` the path repeats from `start`, in whole elements (a length in characters). */
function sharedElements(label: string, path: string, start: number): number {
	let shared = 0;
	for (let i = 0; ; i++) {
		const atEnd = i === label.length;
		const c = atEnd ? SLASH : label.charCodeAt(i);
		const p = start + i < path.length ? path.charCodeAt(start + i) : SLASH;
		if (c !== p) return shared;
		if (c === SLASH) shared = i;
		if (atEnd) return shared;
	}
}

/** Watches set on `at` that reach an event `levelsBelow` levels under it (-1: exact, any depth). */
function collect(at: WatchedPath, levelsBelow: number, out: Watch[]): void {
	if (at.watches === undefined) return;
	for (const w of at.watches) {
		if (levelsBelow < 0 || w.depth < 0 || levelsBelow <= w.depth) out.push(w);
	}
}

/** `@introduceDomain`, `@releaseDomain` and their `/<domid>` forms live outside the tree. */
function isSpecial(path: string): boolean {
	return path.charCodeAt(0) === 64;
}

function permitted(caller: Caller, event: NodeEvent, isStale: StaleCheck | undefined): boolean {
	if (caller.privileged) return true;
	if (event.oldPerms !== undefined && canRead(caller, event.oldPerms, isStale)) return true;
	if (event.perms !== undefined && canRead(caller, event.perms, isStale)) return true;
	return event.parentPerms !== undefined && canRead(caller, event.parentPerms, isStale);
}
