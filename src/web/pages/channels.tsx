// The channel pages: /channels lists the project's channels; writers add, edit, test and
// delete them. Every form works without JavaScript (post, then a 303); with htmx, "Send a test
// alert" swaps in just its outcome.
import type { Hono } from 'hono';
import { channelKindProblem } from '../../capabilities.ts';
import {
  addChannel,
  deleteChannel,
  fillSigningSecret,
  newChannel,
  saveChannel,
  sendTestAlert,
  unknownKindMessage,
} from '../../channels/channel-changes.ts';
import type { AppDeps } from '../../http/deps.ts';
import { webActor } from '../../http/request-actor.ts';
import { getNotifier } from '../../notifiers/registry.ts';
import type { Channel } from '../../store/store.ts';
import { requireUser, type WebEnv } from '../session.ts';
import {
  type Ctx,
  canWrite,
  forbiddenPage,
  notFoundPage,
  pageCtx,
  readForm,
  sendFragment,
  sendPage,
  wantsFragment,
} from './alerting-common.tsx';
import { blankForm, formOf, readChannelForm } from './channels-form.ts';
import { ChannelFormPage } from './channels-form-view.tsx';
import {
  ChannelsPage,
  ConfirmDeletePage,
  CreatedWithSecretPage,
  KindChooserPage,
  TestOutcome,
  TestResultPage,
} from './channels-views.tsx';

export function channelPages(app: Hono<WebEnv>, deps: AppDeps): void {
  const { store } = deps;
  app.use('/channels', requireUser());
  app.use('/channels/*', requireUser());

  /** The `:id` channel if it is the current project's; another project's is "not found". */
  async function owned(c: Ctx): Promise<Channel | null> {
    const project = c.get('project');
    const id = c.req.param('id') ?? '';
    if (!project || id.length > 64) return null;
    const ch = await store.getChannel(id);
    return ch && ch.projectId === project.id ? ch : null;
  }

  app.get('/channels', async (c) => {
    const project = c.get('project');
    const channels = project ? await store.listChannels(project.id) : [];
    return sendPage(
      c,
      <ChannelsPage ctx={pageCtx(c)} channels={channels} writer={canWrite(c)} done={c.req.query('done')} />,
    );
  });

  app.get('/channels/new', (c) => {
    if (!canWrite(c)) return forbiddenPage(c, 'channels');
    const kind = c.req.query('kind');
    if (kind === undefined) return sendPage(c, <KindChooserPage ctx={pageCtx(c)} />);
    const notifier = getNotifier(kind);
    if (!notifier) return notFoundPage(c, 'channels', 'channel kind');
    const unavailable = channelKindProblem(kind, deps.capabilities);
    if (unavailable !== null) return sendPage(c, <KindChooserPage ctx={pageCtx(c)} error={unavailable} />);
    return sendPage(
      c,
      <ChannelFormPage ctx={pageCtx(c)} notifier={notifier} state={blankForm(notifier)} errors={{}} />,
    );
  });

  app.post('/channels', async (c) => {
    const project = c.get('project');
    if (!project || !canWrite(c)) return forbiddenPage(c, 'channels');
    const form = await readForm(c);
    const notifier = getNotifier(form.one('kind'));
    if (!notifier) {
      return sendPage(
        c,
        <KindChooserPage ctx={pageCtx(c)} error={unknownKindMessage(form.one('kind'))} />,
        400,
      );
    }
    const unavailable = channelKindProblem(notifier.kind, deps.capabilities);
    if (unavailable !== null)
      return sendPage(c, <KindChooserPage ctx={pageCtx(c)} error={unavailable} />, 400);
    const read = readChannelForm(form, notifier, null);
    if (!read.ok) {
      return sendPage(
        c,
        <ChannelFormPage ctx={pageCtx(c)} notifier={notifier} state={read.state} errors={read.errors} />,
        400,
      );
    }
    const { input } = read;
    const generated = fillSigningSecret(notifier.kind, input.config);
    const channel = newChannel(
      { kind: notifier.kind, ...input },
      { id: deps.newId(), projectId: project.id, now: deps.now() },
    );
    await addChannel(store, channel, webActor(c, deps));
    if (generated !== null) {
      c.header('Cache-Control', 'no-store');
      return sendPage(c, <CreatedWithSecretPage ctx={pageCtx(c)} ch={channel} secret={generated} />, 201);
    }
    return c.redirect('/channels?done=created', 303);
  });

  app.get('/channels/:id/edit', async (c) => {
    const ch = await owned(c);
    if (!ch) return notFoundPage(c, 'channels', 'channel');
    if (!canWrite(c)) return forbiddenPage(c, 'channels');
    const notifier = getNotifier(ch.kind);
    if (!notifier) return notFoundPage(c, 'channels', 'channel kind');
    return sendPage(
      c,
      <ChannelFormPage
        ctx={pageCtx(c)}
        notifier={notifier}
        state={formOf(notifier, ch)}
        errors={{}}
        channelId={ch.id}
      />,
    );
  });

  app.post('/channels/:id', async (c) => {
    const ch = await owned(c);
    if (!ch) return notFoundPage(c, 'channels', 'channel');
    if (!canWrite(c)) return forbiddenPage(c, 'channels');
    const notifier = getNotifier(ch.kind);
    if (!notifier) return notFoundPage(c, 'channels', 'channel kind');
    const read = readChannelForm(await readForm(c), notifier, ch);
    if (!read.ok) {
      return sendPage(
        c,
        <ChannelFormPage
          ctx={pageCtx(c)}
          notifier={notifier}
          state={read.state}
          errors={read.errors}
          channelId={ch.id}
        />,
        400,
      );
    }
    const { input } = read;
    // like the API's PATCH: a saved change clears the broken state
    const updated = { ...ch, ...input, brokenReason: null, brokenAt: null, updatedAt: deps.now() };
    await saveChannel(store, ch, updated, webActor(c, deps));
    return c.redirect('/channels?done=updated', 303);
  });

  app.post('/channels/:id/test', async (c) => {
    const ch = await owned(c);
    if (!ch) return notFoundPage(c, 'channels', 'channel');
    if (!canWrite(c)) return forbiddenPage(c, 'channels');
    const { result, channel } = await sendTestAlert(deps, ch);
    const wasBroken = ch.brokenReason !== null && channel.brokenReason === null;
    if (wantsFragment(c))
      return sendFragment(c, <TestOutcome ch={channel} result={result} wasBroken={wasBroken} />);
    return sendPage(
      c,
      <TestResultPage ctx={pageCtx(c)} ch={channel} result={result} wasBroken={wasBroken} />,
    );
  });

  app.get('/channels/:id/delete', async (c) => {
    const ch = await owned(c);
    if (!ch) return notFoundPage(c, 'channels', 'channel');
    if (!canWrite(c)) return forbiddenPage(c, 'channels');
    return sendPage(c, <ConfirmDeletePage ctx={pageCtx(c)} ch={ch} />);
  });

  app.post('/channels/:id/delete', async (c) => {
    const ch = await owned(c);
    if (!ch) return notFoundPage(c, 'channels', 'channel');
    if (!canWrite(c)) return forbiddenPage(c, 'channels');
    await deleteChannel(store, ch, deps.now(), webActor(c, deps));
    return c.redirect('/channels?done=deleted', 303);
  });
}
