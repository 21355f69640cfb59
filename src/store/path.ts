import { XenstoreError } from '../protocol/errors.ts';
import { ABS_PATH_MAX } from '../protocol/limits.ts';

/**
 * Path rules of docs/misc/xenstore.txt: absolute paths start with '/', use only ASCII letters,
 * digits and `-/_@`, have no `//`, no trailing '/' except the root, are not empty and are at most
 * 3072 bytes. Relative paths are resolved against a domain's home, /local/domain/<domid>.
 * Special watch paths (`@introduceDomain`, `@releaseDomain[/<domid>]`) are not nodes.
 */

/** Character classes, indexed by char code: 1 for the characters a path may hold. */
const allowed = new Uint8Array(128);
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-/_@')
	allowed[c.charCodeAt(0)] = 1;

export function hasValidChars(path: string): boolean {
	for (let i = 0; i < path.length; i++) {
		const c = path.charCodeAt(i);
		if (c >= 128 || allowed[c] === 0) return false;
	}
	return true;
}

export function domainHome(domid: number): string {
	return `/local/domain/${domid}`;
}

export interface PathContext {
	/** The home relative paths resolve against (/local/domain/<domid>); undefined refuses them. */
	home: string | undefined;
	/**
	 * Longest path allowed below /local/domain/<id>/ (the `path-max` quota of unprivileged domains),
	 * or 0 for no limit beyond the protocol's own.
	 */
	pathMax: number;
}

const LOCAL_DOMAIN = '/local/domain/';

/** Length of the `/local/domain/<id>/` prefix of a path (at most five digits), or 0. */
function domainPrefixLength(path: string): number {
	if (!path.startsWith(LOCAL_DOMAIN)) return 0;
	let i = LOCAL_DOMAIN.length;
	const digitsStart = i;
	while (i < path.length && i - digitsStart < 5 && path.charCodeAt(i) >= 48 && path.charCodeAt(i) <= 57) i++;
	if (i === digitsStart || path.charCodeAt(i) !== 47) return 0;
	return i + 1;
}

/**
 * Validate a node path from a request and make it absolute. Throws EINVAL naming the problem.
 * Special `@` paths are refused here: only WATCH, UNWATCH and SET_PERMS accept them, through
 * `canonicalWatchPath`.
 */
export function canonicalPath(ctx: PathContext, path: string): string {
	if (path.length === 0) throw new XenstoreError('EINVAL', 'empty path');
	if (!hasValidChars(path)) throw new XenstoreError('EINVAL', 'invalid character in path');
	const first = path.charCodeAt(0);
	if (first === 64 /* @ */) throw new XenstoreError('EINVAL', `special path ${path} is not a node`);
	let abs = path;
	if (first !== 47 /* / */) {
		if (ctx.home === undefined) throw new XenstoreError('EINVAL', 'relative path on a socket connection');
		abs = `${ctx.home}/${path}`;
	}
	checkShape(ctx, abs);
	return abs;
}

function checkShape(ctx: PathContext, abs: string): void {
	if (abs.length > 1 && abs.charCodeAt(abs.length - 1) === 47)
		throw new XenstoreError('EINVAL', 'trailing /');
	if (abs.includes('//')) throw new XenstoreError('EINVAL', 'empty path element (//)');
	if (abs.length > ABS_PATH_MAX) throw new XenstoreError('EINVAL', `path longer than ${ABS_PATH_MAX}`);
	if (ctx.pathMax > 0 && abs.length - domainPrefixLength(abs) >= ctx.pathMax) {
		throw new XenstoreError('EINVAL', 'path longer than the path-max quota');
	}
}

export const INTRODUCE_DOMAIN = '@introduceDomain';
export const RELEASE_DOMAIN = '@releaseDomain';

/**
 * Validate a watch path: a node path as above, or a special `@...` path (any valid characters,
 * at most REL_PATH_MAX long). Returns the absolute path and whether the caller gave it relative,
 * since relative watches get relative event paths.
 */
export function canonicalWatchPath(ctx: PathContext, path: string): { path: string; relative: boolean } {
	if (path.length > 0 && path.charCodeAt(0) === 64) {
		if (!hasValidChars(path)) throw new XenstoreError('EINVAL', 'invalid character in path');
		if (path.length > 2048) throw new XenstoreError('EINVAL', 'special path too long');
		// As current C xenstored: special paths follow the same shape rules as node paths.
		if (path.endsWith('/')) throw new XenstoreError('EINVAL', 'trailing /');
		if (path.includes('//')) throw new XenstoreError('EINVAL', 'empty path element (//)');
		return { path, relative: false };
	}
	const abs = canonicalPath(ctx, path);
	return { path: abs, relative: abs !== path };
}

/** The parent of an absolute path other than the root. */
export function parentPath(path: string): string {
	const slash = path.lastIndexOf('/');
	return slash <= 0 ? '/' : path.slice(0, slash);
}

/** The last element of an absolute path other than the root. */
export function baseName(path: string): string {
	return path.slice(path.lastIndexOf('/') + 1);
}

export function childPath(parent: string, name: string): string {
	return parent === '/' ? `/${name}` : `${parent}/${name}`;
}

/** Number of elements in an absolute path: 0 for the root, 1 for /a, 2 for /a/b. */
export function pathDepth(path: string): number {
	if (path === '/') return 0;
	let n = 0;
	for (let i = 0; i < path.length; i++) if (path.charCodeAt(i) === 47) n++;
	return n;
}
