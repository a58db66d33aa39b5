/**
 * Every chat platform, by name: adding one is a folder in chat/ and a line here (the Record makes the
 * compiler say so once its name is in CHAT_PLATFORMS, contract/chat.ts).
 */
import type { ChatPlatform } from '../contract';
import type { ChatPlatformModule } from './platform';
import { slack } from './slack';

export const CHAT_PLATFORM_MODULES: Record<ChatPlatform, ChatPlatformModule> = { slack };
