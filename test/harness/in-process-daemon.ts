import { mkdirSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { Daemon } from '../../src/server/daemon.ts';
import { createLogger } from '../../src/server/log.ts';

/** What a test needs of node:test's context here. */
interface Cleanup {
	after(fn: () => void): void;
}

/**
 * A daemon in the test's own process, listening on `<dir>/socket`, for tests that reach into its
 * connections (hold, capture). Its log goes nowhere.
 */
export async function listeningDaemon(dir: string): Promise<Daemon> {
	const daemon = new Daemon({
		socketPath: join(dir, 'socket'),
		runDir: dir,
		rootDir: dir,
		originalArgs: [],
		keepOrphans: false,
		log: createLogger({ write: () => true }, false),
	});
	await daemon.listen();
	return daemon;
}

/** A client socket, once connected. */
export function openSocket(path: string): Promise<Socket> {
	return new Promise((resolve, reject) => {
		const s = connect(path, () => resolve(s));
		s.once('error', reject);
	});
}

/**
 * A listening daemon in a new directory `dir` with `count` clients, connected one after the other
 * so that the daemon's connections come in the same order; all closed when the test ends.
 */
export async function daemonWithClients(
	t: Cleanup,
	dir: string,
	count: number,
): Promise<{ daemon: Daemon; sockets: Socket[] }> {
	mkdirSync(dir);
	const daemon = await listeningDaemon(dir);
	const sockets: Socket[] = [];
	for (let i = 0; i < count; i++) sockets.push(await openSocket(join(dir, 'socket')));
	t.after(() => {
		for (const s of sockets) s.destroy();
		daemon.listener?.close();
	});
	return { daemon, sockets };
}
