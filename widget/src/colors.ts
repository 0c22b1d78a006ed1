/** Black or white, whichever reads better on the given colour (WCAG relative luminance). */
export function readableOn(color: string): string {
  const probe = document.createElement('canvas').getContext('2d');
  if (!probe) return '#ffffff';
  probe.fillStyle = '#000000';
  probe.fillStyle = color;
  const hex = String(probe.fillStyle);
  const match = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(hex);
  if (!match) return '#ffffff';
  const [r, g, b] = match.slice(1).map((h) => {
    const c = parseInt(h, 16) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  }) as [number, number, number];
  const luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b;
  return 1.05 / (luminance + 0.05) >= (luminance + 0.05) / 0.05 ? '#ffffff' : '#000000';
}
