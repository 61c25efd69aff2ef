//! The writer's own OS thread: it owns the `Store` (the only write connection) and runs the
//! jobs the writer task sends it, at a lower CPU priority than the API.
//!
//! Batches are a group commit, so a writer that gets less CPU commits fewer, larger batches
//! and spends less on per-transaction costs; the API, which answers people, goes first when
//! the cores are contended. With cores to spare the priority changes nothing. Raising a
//! thread's niceness needs no privilege.

use crate::error::AppError;
use childstat_aggregator::Store;
use std::sync::mpsc;
use tokio::sync::oneshot;

type Job = Box<dyn FnOnce(&mut Store) + Send>;

pub struct StoreThread {
    jobs: mpsc::Sender<Job>,
}

/// How much lower the writer's priority is than the rest of the process (`nice` steps).
pub const WRITER_NICENESS: i32 = 10;

impl StoreThread {
    pub fn start(store: Store, niceness: i32) -> Result<StoreThread, AppError> {
        let (jobs, rx) = mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("childstat-writer".into())
            .spawn(move || {
                lower_priority(niceness);
                let mut store = store;
                while let Ok(job) = rx.recv() {
                    job(&mut store);
                }
            })
            .map_err(|e| AppError::TaskFailed {
                task: "writer",
                reason: format!("cannot start the writer thread: {e}"),
            })?;
        Ok(StoreThread { jobs })
    }

    /// Runs `f` on the writer thread and waits for its result. A panic there ends the
    /// thread, and this and every later call report the writer gone.
    pub async fn run<R: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Store) -> R + Send + 'static,
    ) -> Result<R, AppError> {
        let gone = || AppError::TaskFailed {
            task: "writer",
            reason: "the writer thread stopped".into(),
        };
        let (tx, rx) = oneshot::channel();
        self.jobs
            .send(Box::new(move |s| {
                let _ = tx.send(f(s));
            }))
            .map_err(|_| gone())?;
        rx.await.map_err(|_| gone())
    }
}

#[cfg(target_os = "linux")]
fn lower_priority(niceness: i32) {
    // SAFETY: plain system calls on the calling thread's own id; no memory is shared.
    let r = unsafe {
        let tid = libc::gettid() as libc::id_t;
        let current = libc::getpriority(libc::PRIO_PROCESS, tid);
        libc::setpriority(libc::PRIO_PROCESS, tid, current + niceness)
    };
    if r != 0 {
        tracing::warn!(
            error = %std::io::Error::last_os_error(),
            "could not lower the writer thread's priority; it runs at the process's"
        );
    }
}

#[cfg(not(target_os = "linux"))]
fn lower_priority(_niceness: i32) {}
