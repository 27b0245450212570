// A QR code drawn as one SVG path (crisp at any size, no canvas, no inline style). Shared by
// the OOBE page (an MFA registration) and the console (a new admin's authenticator).
import { encode } from 'uqr';
import { useMemo } from 'preact/hooks';

const QUIET_ZONE = 4; // modules of white border, as the QR standard asks

export function Qr({ text, label }: { text: string; label: string }) {
  const drawing = useMemo(() => {
    try {
      const code = encode(text, { ecc: 'M', border: 0 });
      let path = '';
      code.data.forEach((row, y) => {
        row.forEach((dark, x) => {
          if (dark) path += `M${x + QUIET_ZONE} ${y + QUIET_ZONE}h1v1h-1z`;
        });
      });
      return { size: code.size + 2 * QUIET_ZONE, path };
    } catch {
      return undefined;
    }
  }, [text]);
  if (!drawing) return null;
  return (
    <figure class="qr">
      <svg
        viewBox={`0 0 ${drawing.size} ${drawing.size}`}
        role="img"
        aria-label={label}
        shape-rendering="crispEdges"
      >
        <rect width={drawing.size} height={drawing.size} fill="#fff" />
        <path d={drawing.path} fill="#000" />
      </svg>
    </figure>
  );
}
