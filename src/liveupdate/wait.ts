import { existsSync, readFileSync } from 'node:fs';

const sleeper = new Int32Array(new SharedArrayBuffer(4));

/**
 * Resolves once the event loop has polled for I/O after this call: a callback set with
 * `setImmediate` during a poll runs before the next one, and one it sets runs after it.
 */
export function afterNextPoll(): Promise<void> {
	return new Promise((resolve) => setImmediate(() => setImmediate(resolve)));
}

/** Sleep without returning to the event loop (nothing else may run meanwhile). */
function sleepSync(ms: number): void {
	Atomics.wait(sleeper, 0, 0, ms);
}

/** Whether a process has exited (gone, or a zombie not yet reaped). */
function exited(pid: number): boolean {
	try {
		const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
		return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z';
	} catch {
		return true;
	}
}

export type TakeoverOutcome = 'taken-over' | 'exited' | 'timed-out';

/**
 * Wait, blocking this process entirely, until the successor takes over: it removes the state file
 * it read (one of `stateFiles`) once it serves. Blocking matters: while the successor starts, this
 * process must not accept a connection on the listening socket they share, nor read from any client.
 */
export function waitForTakeover(
	stateFiles: readonly string[],
	successorPid: number,
	timeoutMs: number,
): TakeoverOutcome {
	const deadline = Date.now() + timeoutMs;
	const anyGone = () => stateFiles.some((f) => !existsSync(f));
	for (;;) {
		if (anyGone()) return 'taken-over';
		if (exited(successorPid)) return anyGone() ? 'taken-over' : 'exited';
		if (Date.now() > deadline) return 'timed-out';
		sleepSync(2);
	}
}
