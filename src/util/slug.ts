// Slugs for branch and directory names: lower-case ASCII letters, digits and single dashes.
/** `Fix the flaky test!` → `fix-the-flaky-test`; empty input gives `task`. */
export function slugify(text: string, maxLength = 40): string {
  const slug = text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, maxLength)
    .replace(/-+$/g, '');
  return slug || 'task';
}
