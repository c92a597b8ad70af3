// A throwaway redis-server for the cluster tests: no persistence, bound to
// 127.0.0.1 on a free port; `extra` adds server arguments (ACL users).
import { spawn } from 'node:child_process';
import net from 'node:net';

export function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}

// Resolves with the child process once it accepts connections.
export function spawnRedis(port, extra = []) {
  const p = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '',
    '--appendonly', 'no', ...extra], { stdio: ['ignore', 'pipe', 'ignore'] });
  return new Promise((resolve, reject) => {
    let out = '';
    p.stdout.on('data', (d) => { out += d; if (/Ready to accept connections/.test(out)) resolve(p); });
    p.on('exit', (c) => reject(new Error(`redis-server exited ${c}: ${out}`)));
  });
}
