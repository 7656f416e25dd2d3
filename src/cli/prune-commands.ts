// `shorten score | prune` and `shorten bench score`: block importance and depth pruning.
import type { Command } from 'commander';

export function registerPruneCommands(_program: Command, _bench: Command): void {}
