//! `logs` and `exec` for a service by its spec name.

use bollard::container::LogOutput;
use bollard::exec::{CreateExecOptions, StartExecOptions, StartExecResults};
use futures_util::StreamExt;
use tokio::io::{AsyncRead, AsyncWriteExt};

use super::status::{find, service};
use super::{DockerError, Engine};
use crate::spec::Spec;

/// Which stream a chunk of output came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExecOutput {
    /// Standard output.
    Stdout,
    /// Standard error.
    Stderr,
}

/// Options of [`logs`].
#[derive(Debug, Clone, Default)]
pub struct LogsOptions {
    /// Keep streaming new output until the container stops.
    pub follow: bool,
    /// Only the last N lines (`None`: all).
    pub tail: Option<u64>,
    /// Only output since this many seconds ago (`None`: from the start).
    pub since_secs: Option<u64>,
}

pub(crate) async fn container_id(
    engine: &Engine,
    spec: &Spec,
    name: &str,
) -> Result<String, DockerError> {
    service(spec, name)?;
    let (owned, _) = find(engine, spec).await?;
    owned
        .get(name)
        .and_then(|c| c.id.clone())
        .ok_or_else(|| DockerError::NoContainer(name.to_owned()))
}

/// Streams the logs of `service` to `on_chunk`, in order, until the end (or, with
/// `follow`, until the container stops).
pub async fn logs(
    engine: &Engine,
    spec: &Spec,
    service_name: &str,
    opts: &LogsOptions,
    mut on_chunk: impl FnMut(ExecOutput, &[u8]),
) -> Result<(), DockerError> {
    let id = container_id(engine, spec, service_name).await?;
    let since = opts.since_secs.map_or(0, |s| {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        now.saturating_sub(s) as i32
    });
    let options = bollard::query_parameters::LogsOptionsBuilder::default()
        .follow(opts.follow)
        .stdout(true)
        .stderr(true)
        .since(since)
        .tail(
            &opts
                .tail
                .map_or_else(|| "all".to_owned(), |n| n.to_string()),
        )
        .build();
    let mut stream = engine.docker.logs(&id, Some(options));
    while let Some(item) = stream.next().await {
        match item.map_err(DockerError::api)? {
            LogOutput::StdErr { message } => on_chunk(ExecOutput::Stderr, &message),
            LogOutput::StdOut { message } | LogOutput::Console { message } => {
                on_chunk(ExecOutput::Stdout, &message)
            }
            LogOutput::StdIn { .. } => {}
        }
    }
    Ok(())
}

/// Runs `argv` in the container of `service` (no TTY), copying `stdin` (if given) to the
/// process and every output chunk to `on_output`, in order. Returns the exit code.
///
/// Errors: [`DockerError::UnknownService`], [`DockerError::NoContainer`], and engine
/// errors (for example a container that is not running).
pub async fn exec<R: AsyncRead + Unpin + Send>(
    engine: &Engine,
    spec: &Spec,
    service_name: &str,
    argv: &[String],
    stdin: Option<R>,
    on_output: impl FnMut(ExecOutput, &[u8]),
) -> Result<i64, DockerError> {
    let id = container_id(engine, spec, service_name).await?;
    let mut on_output = on_output;
    exec_in(engine, &id, argv, None, stdin, |s, b| {
        on_output(s, b);
        Ok(())
    })
    .await
    .map_err(|e| match e {
        ExecError::Docker(d) => d,
        ExecError::Output(io) => DockerError::Api(io.to_string()),
    })
}

/// Why an internal exec failed: the engine, or the consumer of its output.
#[derive(Debug)]
pub(crate) enum ExecError {
    Docker(DockerError),
    Output(std::io::Error),
}

/// [`exec`] on a container ID, as `user` if given.
pub(crate) async fn exec_in<R: AsyncRead + Unpin + Send>(
    engine: &Engine,
    container: &str,
    argv: &[String],
    user: Option<&str>,
    stdin: Option<R>,
    mut on_output: impl FnMut(ExecOutput, &[u8]) -> std::io::Result<()>,
) -> Result<i64, ExecError> {
    let created = engine
        .docker
        .create_exec(
            container,
            CreateExecOptions {
                attach_stdin: Some(stdin.is_some()),
                attach_stdout: Some(true),
                attach_stderr: Some(true),
                tty: Some(false),
                cmd: Some(argv.to_vec()),
                user: user.map(ToOwned::to_owned),
                ..Default::default()
            },
        )
        .await
        .map_err(|e| ExecError::Docker(DockerError::api(e)))?;
    let started = engine
        .docker
        .start_exec(
            &created.id,
            Some(StartExecOptions {
                detach: false,
                tty: false,
                output_capacity: None,
            }),
        )
        .await
        .map_err(|e| ExecError::Docker(DockerError::api(e)))?;
    let StartExecResults::Attached {
        mut output,
        mut input,
    } = started
    else {
        return Err(ExecError::Docker(DockerError::Api(
            "the engine started the exec detached".into(),
        )));
    };
    let feed = async move {
        if let Some(mut r) = stdin {
            // A process that exits before reading all its input closes the pipe: not an
            // error of ours, its exit code tells.
            let _ = tokio::io::copy(&mut r, &mut input).await;
            let _ = input.shutdown().await;
        } else {
            let _ = input.shutdown().await;
        }
    };
    let drain = async {
        while let Some(item) = output.next().await {
            match item.map_err(|e| ExecError::Docker(DockerError::api(e)))? {
                LogOutput::StdErr { message } => {
                    on_output(ExecOutput::Stderr, &message).map_err(ExecError::Output)?
                }
                LogOutput::StdOut { message } | LogOutput::Console { message } => {
                    on_output(ExecOutput::Stdout, &message).map_err(ExecError::Output)?
                }
                LogOutput::StdIn { .. } => {}
            }
        }
        Ok::<(), ExecError>(())
    };
    // Once the output has ended the process is gone: stop feeding it. (A process that
    // reads only part of its input, like `pg_restore --list`, would otherwise wait for the
    // engine to swallow the rest of the file.)
    let drained = {
        tokio::pin!(feed);
        tokio::pin!(drain);
        let mut fed = false;
        loop {
            tokio::select! {
                () = &mut feed, if !fed => fed = true,
                r = &mut drain => break r,
            }
        }
    };
    drained?;
    let inspect = engine
        .docker
        .inspect_exec(&created.id)
        .await
        .map_err(|e| ExecError::Docker(DockerError::api(e)))?;
    // An exec whose container died has no exit code: report it as a failure.
    Ok(inspect.exit_code.unwrap_or(-1))
}
