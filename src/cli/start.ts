import { accessSync, constants, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { locations } from './environment.ts';

/**
 * `npm start`: run the daemon in the foreground on a sensible socket without needing root. Uses
 * XENSTORED_RUNDIR when set, else /var/run/xenstored when it can be written, else run/ inside
 * the project; then prints how to point clients at it.
 */
function chooseRunDir(): string {
	if (process.env.XENSTORED_RUNDIR) return process.env.XENSTORED_RUNDIR;
	const system = '/var/run/xenstored';
	try {
		mkdirSync(system, { recursive: true });
		accessSync(system, constants.W_OK);
		return system;
	} catch {
		return resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'run');
	}
}

const runDir = chooseRunDir();
mkdirSync(runDir, { recursive: true });
process.env.XENSTORED_RUNDIR = runDir;
process.env.XENSTORED_ROOTDIR ||= join(runDir, 'lib');
const { socketPath } = locations();
process.stdout.write(
	`tsxenstored: serving ${socketPath}\n` +
		`point clients at it with: export XENSTORED_PATH=${socketPath}   (then e.g. xenstore-ls -p /)\n` +
		'stop it with Ctrl-C\n',
);
const { main } = await import('./tsxenstored.ts');
await main(['--no-fork', ...process.argv.slice(2)]);
