//! Pieces the unit tests of several modules share (compiled for tests only).

use std::io::Read;
use std::net::TcpStream;

/// Reads a request's head (up to the blank line) from a test server's
/// connection; what a test server needs before it answers.
pub fn read_request_head(stream: &mut TcpStream) -> Vec<u8> {
    let mut request = Vec::new();
    let mut chunk = [0u8; 4096];
    while !request.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut chunk) {
            Ok(0) | Err(_) => break,
            Ok(n) => request.extend_from_slice(&chunk[..n]),
        }
    }
    request
}

/// A throwaway PostgreSQL server for the database spool's tests: a cluster
/// of its own in a temporary directory, on a free port of 127.0.0.1, with a
/// password login, stopped and removed when dropped. Debian's server
/// binaries (`bin/setup` installs `postgresql`); as root (CI), `initdb` and
/// `postgres` run as the `postgres` user, which they require.
pub struct Postgres {
    dir: tempfile::TempDir,
    bin: std::path::PathBuf,
    pub port: u16,
}

/// The test cluster's login.
pub const POSTGRES_USER: &str = "ohem";
pub const POSTGRES_PASSWORD: &str = "pg-s3cret-in-no-log";

impl Postgres {
    pub fn start() -> Postgres {
        let bin = std::fs::read_dir("/usr/lib/postgresql")
            .expect("PostgreSQL's server (Debian's postgresql package: bin/setup installs it)")
            .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
            .filter(|b| b.join("initdb").exists())
            .max()
            .expect("an initdb under /usr/lib/postgresql/*/bin");
        let dir = tempfile::tempdir().expect("a temporary directory");
        let pwfile = dir.path().join("pw");
        std::fs::write(&pwfile, POSTGRES_PASSWORD).unwrap();
        if is_root() {
            let status =
                std::process::Command::new("chown").args(["-R", "postgres:"]).arg(dir.path()).status().unwrap();
            assert!(status.success(), "chown to postgres");
        }
        let data = dir.path().join("data");
        let out = run(&bin, "initdb", |c| {
            c.arg("-D")
                .arg(&data)
                .args(["-U", POSTGRES_USER, "-A", "scram-sha-256", "-E", "UTF8", "--no-sync"])
                .arg(format!("--pwfile={}", pwfile.display()));
        });
        assert!(out.status.success(), "initdb: {}", String::from_utf8_lossy(&out.stderr));
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let pg = Postgres { dir, bin, port };
        pg.start_again();
        pg
    }

    fn data(&self) -> std::path::PathBuf {
        self.dir.path().join("data")
    }

    /// Starts the server (again, after [`Postgres::stop`]), waiting until it
    /// accepts connections.
    pub fn start_again(&self) {
        let options = format!(
            "-c port={} -c listen_addresses=127.0.0.1 -c unix_socket_directories={} -c fsync=off",
            self.port,
            self.dir.path().display()
        );
        let log = self.dir.path().join("log");
        let out = run(&self.bin, "pg_ctl", |c| {
            c.arg("-D").arg(self.data()).arg("-l").arg(&log).args(["-w", "-o", &options, "start"]);
        });
        assert!(
            out.status.success(),
            "pg_ctl start: {}{}",
            String::from_utf8_lossy(&out.stderr),
            std::fs::read_to_string(&log).unwrap_or_default()
        );
    }

    /// Stops the server at once, as a crash would.
    pub fn stop(&self) {
        let _ = run(&self.bin, "pg_ctl", |c| {
            c.arg("-D").arg(self.data()).args(["-m", "immediate", "-w", "stop"]);
        });
    }

    pub fn url(&self) -> String {
        format!("postgresql://{POSTGRES_USER}:{POSTGRES_PASSWORD}@127.0.0.1:{}/postgres", self.port)
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        self.stop();
    }
}

fn is_root() -> bool {
    std::process::Command::new("id").arg("-u").output().is_ok_and(|o| o.stdout.starts_with(b"0\n"))
}

/// Runs one of PostgreSQL's programs, as `postgres` when root.
fn run(bin: &std::path::Path, program: &str, args: impl FnOnce(&mut std::process::Command)) -> std::process::Output {
    let mut command = if is_root() {
        let mut c = std::process::Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(bin.join(program));
        c
    } else {
        std::process::Command::new(bin.join(program))
    };
    args(&mut command);
    command.output().unwrap_or_else(|e| panic!("{program}: {e}"))
}
