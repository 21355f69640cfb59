import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { Daemon } from '../../src/server/daemon.ts';
import { createLogger } from '../../src/server/log.ts';

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
