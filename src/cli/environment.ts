import { join } from 'node:path';

/**
 * Where the daemon lives, as C xenstored and libxenstore decide it: the socket is XENSTORED_PATH,
 * else $XENSTORED_RUNDIR/socket (default /var/run/xenstored); live-update state goes to
 * $XENSTORED_ROOTDIR (default /var/lib/xenstored).
 */
export interface Locations {
	runDir: string;
	socketPath: string;
	rootDir: string;
}

export function locations(env: NodeJS.ProcessEnv = process.env): Locations {
	const runDir = env.XENSTORED_RUNDIR || '/var/run/xenstored';
	return {
		runDir,
		socketPath: env.XENSTORED_PATH || join(runDir, 'socket'),
		rootDir: env.XENSTORED_ROOTDIR || '/var/lib/xenstored',
	};
}
