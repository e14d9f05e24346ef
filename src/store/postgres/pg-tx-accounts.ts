import { toApiKey, toIncident, toMembership, toProject, toSession, toStatusPage, toUser } from '../rows.ts';
import type { Tx } from '../store.ts';
import { PgAudit } from './pg-tx-audit.ts';

/** Projects, API keys, people, sessions, incidents and status pages. */
export class PgAccounts extends PgAudit {
  async insertProject(p: Parameters<Tx['insertProject']>[0]) {
    await this.run(
      'INSERT INTO projects (id, name, ping_key, silence_period, badge_key, created_at) VALUES ($1, $2, $3, $4, $5, $6)',
      p.id,
      p.name,
      p.pingKey,
      p.silencePeriod,
      p.badgeKey,
      p.createdAt,
    );
  }
  async updateProject(p: Parameters<Tx['updateProject']>[0]) {
    await this.run(
      'UPDATE projects SET name = $1, ping_key = $2, silence_period = $3, badge_key = $4 WHERE id = $5',
      p.name,
      p.pingKey,
      p.silencePeriod,
      p.badgeKey,
      p.id,
    );
  }
  async getProject(id: string) {
    const r = await this.one('SELECT * FROM projects WHERE id = $1', id);
    return r ? toProject(r) : null;
  }
  async getProjectByName(name: string) {
    const r = await this.one('SELECT * FROM projects WHERE name = $1', name);
    return r ? toProject(r) : null;
  }
  async getProjectByPingKey(pingKey: string) {
    const r = await this.one('SELECT * FROM projects WHERE ping_key = $1', pingKey);
    return r ? toProject(r) : null;
  }
  async getProjectByBadgeKey(badgeKey: string) {
    const r = await this.one('SELECT * FROM projects WHERE badge_key = $1', badgeKey);
    return r ? toProject(r) : null;
  }
  async listProjects() {
    return (await this.all('SELECT * FROM projects ORDER BY created_at, id')).map(toProject);
  }

  async insertApiKey(k: Parameters<Tx['insertApiKey']>[0]) {
    await this.run(
      'INSERT INTO api_keys (id, project_id, name, prefix, hash, read_only, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)',
      k.id,
      k.projectId,
      k.name,
      k.prefix,
      k.hash,
      k.readOnly ? 1 : 0,
      k.createdAt,
    );
  }
  async getApiKeyByHash(hash: string) {
    const r = await this.one('SELECT * FROM api_keys WHERE hash = $1', hash);
    return r ? toApiKey(r) : null;
  }
  async listApiKeys(projectId?: string) {
    const rows =
      projectId === undefined
        ? await this.all('SELECT * FROM api_keys ORDER BY created_at, id')
        : await this.all('SELECT * FROM api_keys WHERE project_id = $1 ORDER BY created_at, id', projectId);
    return rows.map(toApiKey);
  }
  async deleteApiKey(idOrPrefix: string) {
    return (await this.run('DELETE FROM api_keys WHERE id = $1 OR prefix = $1', idOrPrefix)) > 0;
  }

  async insertUser(u: Parameters<Tx['insertUser']>[0]) {
    await this.run(
      'INSERT INTO users (id, email, password_hash, created_at) VALUES ($1, $2, $3, $4)',
      u.id,
      u.email,
      u.passwordHash,
      u.createdAt,
    );
  }
  async getUser(id: string) {
    const r = await this.one('SELECT * FROM users WHERE id = $1', id);
    return r ? toUser(r) : null;
  }
  async getUserByEmail(email: string) {
    // emails are stored lower-cased (see src/auth/users.ts), so this is an index lookup
    const r = await this.one('SELECT * FROM users WHERE email = $1', email.toLowerCase());
    return r ? toUser(r) : null;
  }
  async listUsers() {
    return (await this.all('SELECT * FROM users ORDER BY email')).map(toUser);
  }
  async updateUser(u: Parameters<Tx['updateUser']>[0]) {
    await this.run(
      'UPDATE users SET email = $1, password_hash = $2 WHERE id = $3',
      u.email,
      u.passwordHash,
      u.id,
    );
  }
  async putMembership(m: Parameters<Tx['putMembership']>[0]) {
    await this.run(
      `INSERT INTO memberships (user_id, project_id, role, created_at) VALUES ($1, $2, $3, $4)
       ON CONFLICT (user_id, project_id) DO UPDATE SET role = excluded.role`,
      m.userId,
      m.projectId,
      m.role,
      m.createdAt,
    );
  }
  async deleteMembership(userId: string, projectId: string) {
    return (
      (await this.run('DELETE FROM memberships WHERE user_id = $1 AND project_id = $2', userId, projectId)) >
      0
    );
  }
  async listMemberships(userId: string) {
    return (
      await this.all('SELECT * FROM memberships WHERE user_id = $1 ORDER BY created_at, project_id', userId)
    ).map(toMembership);
  }
  async listMembers(projectId: string) {
    return (
      await this.all(
        'SELECT * FROM memberships WHERE project_id = $1 ORDER BY created_at, user_id',
        projectId,
      )
    ).map(toMembership);
  }

  async insertSession(x: Parameters<Tx['insertSession']>[0]) {
    await this.run(
      'INSERT INTO sessions (id, user_id, csrf_token, project_id, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)',
      x.id,
      x.userId,
      x.csrfToken,
      x.projectId,
      x.createdAt,
      x.expiresAt,
    );
  }
  async getSession(id: string) {
    const r = await this.one('SELECT * FROM sessions WHERE id = $1', id);
    return r ? toSession(r) : null;
  }
  async updateSession(x: Parameters<Tx['updateSession']>[0]) {
    await this.run(
      'UPDATE sessions SET project_id = $1, expires_at = $2 WHERE id = $3',
      x.projectId,
      x.expiresAt,
      x.id,
    );
  }
  async deleteSession(id: string) {
    return (await this.run('DELETE FROM sessions WHERE id = $1', id)) > 0;
  }
  async deleteUserSessions(userId: string) {
    return this.run('DELETE FROM sessions WHERE user_id = $1', userId);
  }
  async deleteExpiredSessions(now: number) {
    return this.run('DELETE FROM sessions WHERE expires_at <= $1', now);
  }

  async insertIncident(i: Parameters<Tx['insertIncident']>[0]) {
    const r = await this.one(
      `INSERT INTO incidents (project_id, check_id, flip_id, event, reason, opened_at, resolved_at, acknowledged_at, acknowledged_by)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`,
      i.projectId,
      i.checkId,
      i.flipId,
      i.event,
      i.reason,
      i.openedAt,
      i.resolvedAt,
      i.acknowledgedAt,
      i.acknowledgedBy,
    );
    return Number(r?.id);
  }
  async getIncident(id: number) {
    const r = await this.one('SELECT * FROM incidents WHERE id = $1', id);
    return r ? toIncident(r) : null;
  }
  async openIncident(checkId: string) {
    const r = await this.one(
      'SELECT * FROM incidents WHERE check_id = $1 AND resolved_at IS NULL ORDER BY id DESC LIMIT 1',
      checkId,
    );
    return r ? toIncident(r) : null;
  }
  async resolveIncident(id: number, at: number) {
    await this.run('UPDATE incidents SET resolved_at = $1 WHERE id = $2 AND resolved_at IS NULL', at, id);
  }
  async acknowledgeIncident(id: number, at: number, by: string) {
    return (
      (await this.run(
        'UPDATE incidents SET acknowledged_at = $1, acknowledged_by = $2 WHERE id = $3 AND acknowledged_at IS NULL',
        at,
        by,
        id,
      )) > 0
    );
  }
  async listIncidents(projectIds: string[], opts: Parameters<Tx['listIncidents']>[1]) {
    // the project ids travel as one text[]: one statement text for any number of them
    const where = ['project_id = ANY($1::text[])'];
    const values: unknown[] = [projectIds];
    if (opts.open) where.push('resolved_at IS NULL');
    if (opts.checkId !== undefined) {
      values.push(opts.checkId);
      where.push(`check_id = $${values.length}`);
    }
    if (opts.before !== undefined) {
      values.push(opts.before);
      where.push(`id < $${values.length}::bigint`);
    }
    values.push(opts.limit);
    return (
      await this.all(
        `SELECT * FROM incidents WHERE ${where.join(' AND ')} ORDER BY id DESC LIMIT $${values.length}`,
        ...values,
      )
    ).map(toIncident);
  }

  async insertStatusPage(p: Parameters<Tx['insertStatusPage']>[0]) {
    await this.run(
      'INSERT INTO status_pages (id, project_id, slug, title, check_ids, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7)',
      p.id,
      p.projectId,
      p.slug,
      p.title,
      JSON.stringify(p.checkIds),
      p.createdAt,
      p.updatedAt,
    );
  }
  async getStatusPage(id: string) {
    const r = await this.one('SELECT * FROM status_pages WHERE id = $1', id);
    return r ? toStatusPage(r) : null;
  }
  async getStatusPageBySlug(slug: string) {
    const r = await this.one('SELECT * FROM status_pages WHERE slug = $1', slug);
    return r ? toStatusPage(r) : null;
  }
  async listStatusPages(projectId: string) {
    return (await this.all('SELECT * FROM status_pages WHERE project_id = $1 ORDER BY slug', projectId)).map(
      toStatusPage,
    );
  }
  async updateStatusPage(p: Parameters<Tx['updateStatusPage']>[0]) {
    await this.run(
      'UPDATE status_pages SET slug = $1, title = $2, check_ids = $3, updated_at = $4 WHERE id = $5',
      p.slug,
      p.title,
      JSON.stringify(p.checkIds),
      p.updatedAt,
      p.id,
    );
  }
  async deleteStatusPage(id: string) {
    return (await this.run('DELETE FROM status_pages WHERE id = $1', id)) > 0;
  }
}
