import { useEffect, useState } from 'preact/hooks';
import QRCode from 'qrcode';

/** A QR code of `value` as an image (no markup injection: the library renders to a data URL). */
export function Qr({ value, size = 280, label }: { value: string; size?: number; label: string }) {
  const [src, setSrc] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    QRCode.toDataURL(value, { width: size * 2, margin: 1, errorCorrectionLevel: 'M', color: { dark: '#0b1b33', light: '#ffffff' } })
      .then((url) => live && setSrc(url))
      .catch(() => live && setSrc(null));
    return () => {
      live = false;
    };
  }, [value, size]);
  return src ? <img class="qr" src={src} width={size} height={size} alt={label} data-testid="qr" data-value={value} /> : <div class="qr qr-empty" style={{ width: size, height: size }} />;
}
