import type { Server } from 'node:net';

/**
 * Listen on a Unix socket that only this process's user may use (0600), from the moment it exists:
 * it is bound under a umask that leaves nothing for group and others (listen binds before it
 * returns). Set with chmod once listening, it was briefly as open as the umask left it.
 */
export function listenPrivately(server: Server, path: string, listening?: () => void): void {
	const umask = process.umask(0o177);
	try {
		server.listen(path, listening);
	} finally {
		process.umask(umask);
	}
}
