//! Limits that keep one client, one address or one creator from taking what others need
//! (`docs/API.md`, "Limits"): a token bucket per connection for updates and for presence, and
//! the count of open connections per client address. Each limit is a flag; crossing one answers
//! with a clear error (a close code with a reason, or HTTP JSON `{"error"}`), is counted in
//! `/metrics` (`kortvaeg_limit_hits_total{limit}`), and touches nobody else.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Instant;

use dashmap::DashMap;

/// A token bucket: `rate` tokens a second, at most `burst` saved up. A stock client sends an
/// update per transaction (a keystroke is one): the burst absorbs a paste or a reconnect's
/// catch-up, the rate a sustained flood.
#[derive(Debug, Clone)]
pub struct Bucket {
    rate: f64,
    burst: f64,
    tokens: f64,
    last: Instant,
}

impl Bucket {
    pub fn new(rate: u32, burst: u32) -> Bucket {
        let burst = f64::from(burst.max(rate).max(1));
        Bucket {
            rate: f64::from(rate.max(1)),
            burst,
            tokens: burst,
            last: Instant::now(),
        }
    }

    /// Takes one token if there is one.
    pub fn take(&mut self) -> bool {
        self.take_at(Instant::now())
    }

    fn take_at(&mut self, now: Instant) -> bool {
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.last = now;
        self.tokens = (self.tokens + elapsed * self.rate).min(self.burst);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// Open connections per client address, each held by a [`Held`] that counts itself out when
/// dropped. Cheap to clone.
#[derive(Clone, Default)]
pub struct Addresses(Arc<DashMap<IpAddr, usize>>);

/// One connection of an address, counted while it lives.
pub struct Held {
    addresses: Addresses,
    address: IpAddr,
}

impl Addresses {
    /// Counts one more connection of `address`, unless it has `max` already.
    pub fn hold(&self, address: IpAddr, max: usize) -> Option<Held> {
        let mut count = self.0.entry(address).or_insert(0);
        if *count >= max {
            return None;
        }
        *count += 1;
        Some(Held {
            addresses: self.clone(),
            address,
        })
    }

    pub fn count(&self, address: IpAddr) -> usize {
        self.0.get(&address).map(|c| *c).unwrap_or(0)
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        self.addresses.0.remove_if_mut(&self.address, |_, count| {
            *count = count.saturating_sub(1);
            *count == 0
        });
    }
}

/// The client's address: the peer, or — when the peer is a trusted proxy — the last address
/// the proxy put in `X-Forwarded-For` (the one it saw).
pub fn client_address(
    peer: IpAddr,
    headers: &axum::http::HeaderMap,
    trusted: &[ipnet::IpNet],
) -> IpAddr {
    if !trusted.iter().any(|net| net.contains(&peer)) {
        return peer;
    }
    headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|a| a.trim().parse::<IpAddr>().ok())
        .next_back()
        .unwrap_or(peer)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_bucket_allows_its_burst_then_its_rate() {
        let start = Instant::now();
        let mut b = Bucket::new(10, 30);
        b.last = start;
        let taken = (0..40).filter(|_| b.take_at(start)).count();
        assert_eq!(taken, 30, "the burst");
        assert!(
            !b.take_at(start + Duration::from_millis(50)),
            "half a token"
        );
        assert!(
            b.take_at(start + Duration::from_millis(100)),
            "one token a tenth"
        );
        let later = start + Duration::from_secs(60);
        assert_eq!(
            (0..100).filter(|_| b.take_at(later)).count(),
            30,
            "never more than the burst"
        );
    }

    #[test]
    fn addresses_count_their_connections_until_dropped() {
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let addresses = Addresses::default();
        let one = addresses.hold(a, 2).unwrap();
        let two = addresses.hold(a, 2).unwrap();
        assert!(addresses.hold(a, 2).is_none());
        assert!(addresses.hold("10.0.0.2".parse().unwrap(), 2).is_some());
        drop(one);
        assert_eq!(addresses.count(a), 1);
        drop(two);
        assert_eq!(addresses.count(a), 0);
        assert!(addresses.0.is_empty(), "no entry left behind");
    }

    #[test]
    fn forwarded_for_counts_only_from_a_trusted_proxy() {
        let mut headers = axum::http::HeaderMap::new();
        headers.insert(
            "x-forwarded-for",
            "203.0.113.9, 198.51.100.7".parse().unwrap(),
        );
        let proxy: IpAddr = "127.0.0.1".parse().unwrap();
        let trusted = ["127.0.0.0/8".parse().unwrap()];
        assert_eq!(
            client_address(proxy, &headers, &trusted),
            "198.51.100.7".parse::<IpAddr>().unwrap()
        );
        let stranger: IpAddr = "192.0.2.1".parse().unwrap();
        assert_eq!(client_address(stranger, &headers, &trusted), stranger);
    }
}
