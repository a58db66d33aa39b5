import { z } from 'zod';

/** Where chat goes: channels are Slack channel ids (C…) or names (#incidents). */
export const slackChannel = z.string().regex(/^(#[a-z0-9][a-z0-9_-]{0,79}|[CG][A-Z0-9]{2,})$/, 'a Slack channel id (C012AB3CD) or #name');
