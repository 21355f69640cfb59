import { XenstoreError } from '../protocol/errors.ts';
import { Feature } from '../protocol/limits.ts';
import { canonicalWatchPath } from '../store/path.ts';
import { checkQuota } from '../store/quota.ts';
import type { Store } from '../store/store.ts';
import { reportedPath, type Watch } from '../store/watches.ts';
import { atoi, splitStrings } from './args.ts';
import { OK, type Operation, type Session } from './context.ts';
import { featuresOf } from './feature.ts';

export function watchKey(path: string, token: string): string {
	return `${path}\0${token}`;
}

/**
 * WATCH `path\0token\0[depth\0]`: watch a path and everything below it (up to `depth` levels
 * when given: feature WATCHDEPTH, if the caller's domain has it). The watcher hears once at once,
 * for the path itself.
 */
export const watch: Operation = (services, session, { payload }) => {
	const args = splitStrings(payload);
	const { store } = services;
	let depth = -1;
	if (args.length === 3 && (featuresOf(services, session.caller) & Feature.WATCHDEPTH) !== 0) {
		depth = atoi(args[2]!);
		if (depth < 0) throw new XenstoreError('EINVAL', `invalid watch depth "${args[2]}"`);
	} else if (args.length !== 2) {
		throw new XenstoreError('EINVAL', 'WATCH takes a path, a token and an optional depth');
	}
	const { path, relative } = canonicalWatchPath(session.paths, args[0]!);
	const token = args[1]!;
	const key = watchKey(path, token);
	if (session.watches.has(key)) throw new XenstoreError('EEXIST', `watch ${args[0]} ${token} already set`);
	if (!session.caller.privileged) {
		const domid = session.caller.domid;
		checkQuota('watches', store.quota(domid, 'watches'), services.domains.usage(domid).watches + 1, domid);
	}
	const w = addWatch(store, session, path, token, depth, relative);
	// The reply goes out first; the initial event follows it on the same connection.
	session.eventAfterReply(reportedPath(w, path), token);
	return OK;
};

/** Register a watch of a session (also used to restore watches after live update). */
export function addWatch(
	store: Store,
	session: Session,
	path: string,
	token: string,
	depth: number,
	relative: boolean,
): Watch {
	const w: Watch = {
		watcher: session,
		path,
		token,
		depth,
		relativeTo: relative ? session.paths.home : undefined,
		seq: store.watches.nextSeq(),
	};
	session.watches.set(watchKey(path, token), w);
	store.watches.add(w);
	return w;
}

/** UNWATCH `path\0token\0`: the pair must match a watch of this connection. */
export const unwatch: Operation = ({ store }, session, { payload }) => {
	const args = splitStrings(payload);
	if (args.length !== 2) throw new XenstoreError('EINVAL', 'UNWATCH takes a path and a token');
	const { path } = canonicalWatchPath(session.paths, args[0]!);
	const key = watchKey(path, args[1]!);
	const w = session.watches.get(key);
	if (w === undefined) throw new XenstoreError('ENOENT', `no watch ${args[0]} ${args[1]}`);
	session.watches.delete(key);
	store.watches.remove(w);
	return OK;
};

/** Drop every watch and transaction of a connection (RESET_WATCHES, and connection close). */
export function resetSession(
	session: Session,
	services: { store: { watches: { remove(w: Watch): void } } },
): void {
	for (const w of session.watches.values()) services.store.watches.remove(w);
	session.watches.clear();
	session.transactions.clear();
}

/** RESET_WATCHES `\0`: drop all the caller's watches and transactions. */
export const resetWatches: Operation = (services, session) => {
	resetSession(session, services);
	return OK;
};
