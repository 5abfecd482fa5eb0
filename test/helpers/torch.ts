// Debian's PyTorch for tests that check motif against it: /usr/bin/python3 (not whatever python3 is first on
// PATH), and whether it imports torch and numpy. Where it does not, those tests skip with the reason shown.
import { spawnSync } from 'node:child_process';

/** The interpreter of Debian's python3-torch. */
export const PYTHON = '/usr/bin/python3';

/** `skip` value for node:test: false when torch and numpy import, else the visible reason. */
export const torchSkip: string | false =
  spawnSync(PYTHON, ['-c', 'import torch, numpy'], { stdio: 'ignore' }).status === 0
    ? false
    : `${PYTHON} cannot import torch and numpy (apt-get install -y python3-torch): PyTorch test skipped`;
