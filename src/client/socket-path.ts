/**
 * Where a xenstore daemon listens, found the way libxenstore finds it: $XENSTORED_PATH names the
 * socket itself; else the socket is `socket` in $XENSTORED_RUNDIR; else in /var/run/xenstored.
 * As in libxenstore, a variable that is set counts even when empty.
 */
export const DEFAULT_RUNDIR = '/var/run/xenstored';

export function defaultSocketPath(env: NodeJS.ProcessEnv = process.env): string {
	if (env.XENSTORED_PATH !== undefined) return env.XENSTORED_PATH;
	return `${env.XENSTORED_RUNDIR ?? DEFAULT_RUNDIR}/socket`;
}
