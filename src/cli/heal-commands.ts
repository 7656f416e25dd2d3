// `shorten lora | cpt | pretrain | merge` and `shorten bench train`: healing a pruned model.
import type { Command } from 'commander';

export function registerHealCommands(_program: Command, _bench: Command): void {}
