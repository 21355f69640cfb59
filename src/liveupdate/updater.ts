import { spawn } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { endianness } from 'node:os';
import { join } from 'node:path';
import { encodeFrame } from '../protocol/frame.ts';
import { MessageType } from '../protocol/message-type.ts';
import type { Connection } from '../server/connection.ts';
import type { Daemon } from '../server/daemon.ts';
import { captureState } from './capture.ts';
import type { UpdatePlan, Updater } from './control.ts';
import { extrasPath, writeExtras } from './extras.ts';
import { isScript, probeTarget, successorArgs, type TargetKind } from './target.ts';
import { waitForTakeover } from './wait.ts';

/** How long clients get to take output written before the handover. */
const SETTLE_MS = 2000;
/** How long a successor gets to restore and serve before it is given up on. */
const TAKEOVER_MS = 60_000;

export interface UpdaterOptions {
	/** $XENSTORED_ROOTDIR: the state file is `state_dump` there, as for current C xenstored. */
	rootDir: string;
	/** $XENSTORED_RUNDIR: where C xenstored 4.17 looks for it instead. */
	runDir: string;
	/** This process's own arguments: the successor's, unless `-c` gives others. */
	originalArgs: readonly string[];
}

/**
 * Live update of this daemon: check that the new binary starts, wait for transactions a foreign
 * successor cannot carry, stop handling requests, write the whole state to the state file, start
 * the successor with every socket at the descriptor numbers the state names, and wait until it
 * serves (it removes the state file). Then this process exits. If anything fails, this process goes
 * on serving as before and the requester is told why.
 */
export class LiveUpdater implements Updater {
	private readonly daemon: Daemon;
	private readonly options: UpdaterOptions;
	/** When requests stopped being handled: the start of the clients' downtime (for the log). */
	private heldAt = 0;

	constructor(daemon: Daemon, options: UpdaterOptions) {
		this.daemon = daemon;
		this.options = options;
	}

	get stateFile(): string {
		return join(this.options.rootDir, 'state_dump');
	}

	/** C xenstored 4.17 reads its state from its run directory: a foreign successor finds it there too. */
	private get legacyStateFile(): string | undefined {
		const legacy = join(this.options.runDir, 'state_dump');
		return legacy === this.stateFile ? undefined : legacy;
	}

	async update(plan: UpdatePlan): Promise<string> {
		const { log } = this.daemon;
		log.info(`live update to ${plan.binary} requested`);
		let kind: TargetKind;
		try {
			kind = await probeTarget(plan.binary);
		} catch (e) {
			return `New binary cannot start: ${(e as Error).message}`;
		}
		if (kind === 'foreign') {
			const refusal = await this.waitForTransactions(plan);
			if (refusal !== undefined) return refusal;
		}
		this.daemon.holdAll();
		this.heldAt = performance.now();
		for (const conn of await this.daemon.settle(SETTLE_MS)) {
			if (conn !== plan.requester) conn.close('did not take its output during live update');
		}
		return this.handOver(plan, kind);
	}

	/**
	 * C xenstored drops transactions over a live update, so before handing over to a foreign binary
	 * wait for them to end, for up to the timeout; then go ahead only if forced (-F).
	 */
	private async waitForTransactions(plan: UpdatePlan): Promise<string | undefined> {
		const deadline = Date.now() + plan.timeout * 1000;
		for (;;) {
			const open = [...this.daemon.connections.values()].filter((c) => c.transactions.size > 0);
			if (open.length === 0) return undefined;
			if (Date.now() >= deadline) {
				if (plan.force) {
					this.daemon.log.warn(`live update forced: ${open.length} connections lose their open transactions`);
					return undefined;
				}
				return `Overlapping transactions:\n${open.map((c) => `${c.label}: ${c.transactions.size} open`).join('\n')}`;
			}
			await new Promise((r) => setTimeout(r, 100));
		}
	}

	/** From here on nothing may let a client's request through: the event loop only turns on failure. */
	private async handOver(plan: UpdatePlan, kind: TargetKind): Promise<string> {
		const { daemon } = this;
		const { log } = daemon;
		const requester = plan.requester as Connection;
		const reply = encodeFrame(MessageType.CONTROL, plan.reqId, plan.txId, 'OK\0');
		const captured = captureState(daemon, kind, requester, reply, endianness() === 'LE' ? 'little' : 'big');
		const capturedAt = performance.now();
		for (const loss of captured.losses) log.warn(`live update: ${loss}`);
		const file = this.stateFile;
		try {
			const bytes = captured.stream;
			log.debug(
				`live update: held ${(capturedAt - this.heldAt).toFixed(1)} ms before capture, capture ` +
					`${(performance.now() - capturedAt).toFixed(1)} ms... encoded ${bytes.length} bytes`,
			);
			writeFileSync(file, bytes, { mode: 0o600 });
			if (kind === 'tsxenstored') writeExtras(file, captured.extras);
			else if (this.legacyStateFile !== undefined)
				writeFileSync(this.legacyStateFile, bytes, { mode: 0o600 });
		} catch (e) {
			return this.abandon(`Cannot write the state file ${file}: ${(e as Error).message}`);
		}
		const args = successorArgs(this.options.originalArgs, plan.cmdline);
		const [command, argv] = isScript(plan.binary)
			? [process.execPath, [plan.binary, ...args]]
			: [plan.binary, args];
		log.info(
			`live update: ${captured.records} records written ${(performance.now() - this.heldAt).toFixed(0)} ms after holding requests; starting ${command} ${argv.join(' ')}`,
		);
		const child = spawn(command, argv, {
			stdio: ['ignore', 'inherit', 'inherit', ...captured.fds],
			detached: true,
			env: { ...process.env, XENSTORED_ROOTDIR: this.options.rootDir },
		});
		if (child.pid === undefined) return this.abandon(`New binary could not be started: ${plan.binary}`);
		const written =
			kind === 'foreign' && this.legacyStateFile !== undefined ? [file, this.legacyStateFile] : [file];
		const outcome = waitForTakeover(written, child.pid, TAKEOVER_MS);
		if (outcome === 'taken-over') {
			this.removeStateFiles();
			log.info(`live update: process ${child.pid} serves now; this process ends`);
			process.exit(0);
		}
		child.kill('SIGKILL');
		return this.abandon(
			outcome === 'exited'
				? `New binary exited before taking over (see the daemon's log)`
				: `New binary did not take over within ${TAKEOVER_MS / 1000} s`,
		);
	}

	private removeStateFiles(): void {
		rmSync(this.stateFile, { force: true });
		rmSync(extrasPath(this.stateFile), { force: true });
		if (this.legacyStateFile !== undefined) rmSync(this.legacyStateFile, { force: true });
	}

	private abandon(reason: string): string {
		this.removeStateFiles();
		this.daemon.log.error(`live update failed: ${reason}; serving on`);
		this.daemon.releaseAll();
		return reason;
	}
}
