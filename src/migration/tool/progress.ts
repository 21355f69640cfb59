/** A progress bar on stderr for long reads, shown only when stderr is a terminal. */
import { Presets, SingleBar } from 'cli-progress';

/** Inputs smaller than this finish before a bar would be worth drawing. */
const WORTH_A_BAR = 8 * 1024 * 1024;

export interface Progress {
	update(bytes: number): void;
	stop(): void;
}

const NONE: Progress = { update: () => {}, stop: () => {} };

export function progressBar(
	label: string,
	totalBytes: number,
	stream: NodeJS.WritableStream & { isTTY?: boolean },
): Progress {
	if (!stream.isTTY || totalBytes < WORTH_A_BAR) return NONE;
	const bar = new SingleBar(
		{
			format: `${label} [{bar}] {percentage}% | {value}/{total} MiB | ETA {eta}s`,
			stream: stream as NodeJS.WriteStream,
			hideCursor: true,
			clearOnComplete: true,
		},
		Presets.shades_classic,
	);
	const mib = (n: number) => Math.round((n / 1048576) * 10) / 10;
	bar.start(mib(totalBytes), 0);
	return {
		update: (bytes) => bar.update(Math.min(mib(bytes), mib(totalBytes))),
		stop: () => bar.stop(),
	};
}
