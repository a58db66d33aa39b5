/** The worker's chat: every platform in the registry this worker has credentials for. */
import type { AppConfig } from '../config/env';
import type { ChatPlatform } from '../contract';
import type { ResponsePolicy } from '../policy/schema';
import type { ConnectedPlatforms } from './activities';
import type { ChatPlatformModule } from './platform';
import { CHAT_PLATFORM_MODULES } from './registry';

export function connectChat(
  config: AppConfig & { DATABASE_URL: string },
  policy: ResponsePolicy,
  log: (line: string) => void,
): { platforms: ConnectedPlatforms; connected: boolean; close(): Promise<void> } {
  const platforms: ConnectedPlatforms = {};
  for (const [name, module] of Object.entries(CHAT_PLATFORM_MODULES) as [ChatPlatform, ChatPlatformModule][]) {
    const worker = module.worker(config, policy);
    if (worker) platforms[name] = worker;
    else log(module.off);
  }
  const all = Object.values(platforms);
  return {
    platforms,
    connected: all.length > 0,
    close: async () => {
      await Promise.all(all.map((p) => p.close()));
    },
  };
}
